package io.flashtensors.spring.autoconfigure;

import io.flashtensors.load.FlashLoader;
import io.flashtensors.spring.ai.FlashTensorsChatModel;
import io.flashtensors.spring.model.BackgroundGpuLoader;
import io.flashtensors.spring.model.ChatEngineFactory;
import io.flashtensors.spring.model.ManagedChatEngine;
import io.flashtensors.spring.model.ModelSource;
import io.flashtensors.spring.model.Qwen3ChatEngineFactory;
import io.micrometer.observation.ObservationRegistry;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.observation.ChatModelObservationConvention;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the Spring AI {@link FlashTensorsChatModel}, created when {@code
 * flashtensors.chat.model} names a model.
 */
@AutoConfiguration(after = FlashTensorsAutoConfiguration.class)
@ConditionalOnClass(ChatModel.class)
@ConditionalOnBooleanProperty(name = "flashtensors.chat.enabled", matchIfMissing = true)
@ConditionalOnProperty(prefix = "flashtensors.chat", name = "model")
@ConditionalOnBean(ModelSource.class)
public final class FlashTensorsChatAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  ChatEngineFactory flashTensorsChatEngineFactory(
      FlashTensorsProperties properties,
      FlashLoader loader,
      ObjectProvider<BackgroundGpuLoader> gpuLoader) {
    if (properties.getServer().isEnabled()) {
      throw new IllegalStateException(
          "flashtensors.server.enabled=true asks for models served by a flashtensors daemon, which"
              + " the starter cannot use yet; unset it to load the model in this process");
    }
    Integer contextLength = properties.getChat().getContextLength();
    BackgroundGpuLoader gpu = gpuLoader.getIfUnique();
    return new Qwen3ChatEngineFactory(
        loader,
        gpu == null ? null : gpu::get,
        properties.getDevice(),
        contextLength == null ? 0 : contextLength);
  }

  @Bean
  @ConditionalOnMissingBean
  ManagedChatEngine flashTensorsChatEngine(
      FlashTensorsProperties properties, ModelSource modelSource, ChatEngineFactory engineFactory) {
    FlashTensorsProperties.Chat chat = properties.getChat();
    return new ManagedChatEngine(
        chat.getModel(),
        () -> engineFactory.open(modelSource.resolve(chat.getModel(), chat.getPullOnStartup())));
  }

  @Bean
  @ConditionalOnMissingBean
  FlashTensorsChatModel flashTensorsChatModel(
      ManagedChatEngine engine,
      FlashTensorsProperties properties,
      ObjectProvider<ObservationRegistry> observationRegistry,
      ObjectProvider<ChatModelObservationConvention> observationConvention) {
    FlashTensorsProperties.Chat chat = properties.getChat();
    FlashTensorsChatModel chatModel =
        FlashTensorsChatModel.builder()
            .engine(engine)
            .defaultOptions(chat.toOptions())
            .observationRegistry(observationRegistry.getIfUnique(() -> ObservationRegistry.NOOP))
            .queueSize(chat.getQueueSize())
            .waitTimeout(chat.getWaitTimeout())
            .build();
    observationConvention.ifAvailable(chatModel::setObservationConvention);
    return chatModel;
  }

  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnBooleanProperty(name = "flashtensors.chat.load-on-startup", matchIfMissing = true)
  ChatEngineStartupLoader flashTensorsChatEngineStartupLoader(ManagedChatEngine engine) {
    return new ChatEngineStartupLoader(engine);
  }
}
