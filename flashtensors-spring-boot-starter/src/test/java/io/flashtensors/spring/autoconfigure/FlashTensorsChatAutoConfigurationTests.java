package io.flashtensors.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashtensors.load.FlashLoader;
import io.flashtensors.spring.ai.FlashTensorsChatModel;
import io.flashtensors.spring.ai.FlashTensorsChatOptions;
import io.flashtensors.spring.model.ChatEngineFactory;
import io.flashtensors.spring.model.ManagedChatEngine;
import io.flashtensors.spring.model.ModelNotFoundException;
import io.flashtensors.spring.model.ModelSource;
import io.flashtensors.spring.model.Qwen3ChatEngineFactory;
import io.flashtensors.spring.model.ResolvedModel;
import io.flashtensors.spring.testing.FakeChatEngine;
import io.flashtensors.spring.testing.FakeChatEngine.Answer;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistryAssert;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.model.chat.client.autoconfigure.ChatClientAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

class FlashTensorsChatAutoConfigurationTests {

  private final ApplicationContextRunner contextRunner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  FlashTensorsAutoConfiguration.class, FlashTensorsChatAutoConfiguration.class))
          .withUserConfiguration(FakeEngineConfiguration.class);

  @Test
  void runWhenModelIsNotSetShouldNotCreateChatModel() {
    this.contextRunner.run(
        context -> {
          assertThat(context).hasSingleBean(FlashLoader.class);
          assertThat(context).doesNotHaveBean(ChatModel.class);
          assertThat(context).doesNotHaveBean(ManagedChatEngine.class);
        });
  }

  @Test
  void runWhenModelIsSetShouldCreateChatModelAndLoadItOnStartup() {
    this.contextRunner
        .withPropertyValues("flashtensors.chat.model=test/tiny-qwen3", "flashtensors.chat.top-k=7")
        .run(
            context -> {
              assertThat(context).hasSingleBean(FlashTensorsChatModel.class);
              FakeEngineConfiguration factory = context.getBean(FakeEngineConfiguration.class);
              assertThat(factory.opened).hasSize(1);
              assertThat(factory.opened.getFirst().id()).isEqualTo("test/tiny-qwen3");
              assertThat(context.getBean(ManagedChatEngine.class).ifLoaded()).isPresent();
              FlashTensorsChatModel model = context.getBean(FlashTensorsChatModel.class);
              assertThat(model.getOptions().getTopK()).isEqualTo(7);
              assertThat(model.getOptions().getModel()).isEqualTo("test/tiny-qwen3");
              assertThat(model.call("hi")).isEqualTo("hello from the fake");
            });
  }

  @Test
  void runWhenLoadOnStartupIsOffShouldLoadOnFirstRequest() {
    this.contextRunner
        .withPropertyValues(
            "flashtensors.chat.model=test/tiny-qwen3", "flashtensors.chat.load-on-startup=false")
        .run(
            context -> {
              FakeEngineConfiguration factory = context.getBean(FakeEngineConfiguration.class);
              assertThat(factory.opened).isEmpty();
              assertThat(context.getBean(ChatModel.class).call("hi"))
                  .isEqualTo("hello from the fake");
              assertThat(factory.opened).hasSize(1);
            });
  }

  @org.junit.jupiter.api.io.TempDir Path storage;

  @Test
  void runWhenModelCannotBeFoundShouldFailStartupWithTheReason() {
    new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                FlashTensorsAutoConfiguration.class, FlashTensorsChatAutoConfiguration.class))
        .withUserConfiguration(UnusedFactoryConfiguration.class)
        .withPropertyValues(
            "flashtensors.chat.model=Nobody/Nothing", "flashtensors.storage-path=" + this.storage)
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .isInstanceOf(ModelNotFoundException.class)
                    .hasMessageContaining("Nobody/Nothing is not in the store at " + this.storage));
  }

  @Test
  void runWithoutAFactoryShouldUseTheQwen3EngineFactory() {
    new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                FlashTensorsAutoConfiguration.class, FlashTensorsChatAutoConfiguration.class))
        .withPropertyValues(
            "flashtensors.chat.model=x/y", "flashtensors.chat.load-on-startup=false")
        .run(context -> assertThat(context).hasSingleBean(Qwen3ChatEngineFactory.class));
  }

  @Test
  void runWhenDeviceIsAGpuWithoutCudaShouldFailTheLoadWithTheReason() {
    new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                FlashTensorsAutoConfiguration.class, FlashTensorsChatAutoConfiguration.class))
        .withPropertyValues(
            "flashtensors.chat.model=../fixtures/models/qwen3-tiny-random",
            "flashtensors.device=cuda:0")
        .run(context -> assertThat(context).getFailure().hasMessageContaining("CUDA"));
  }

  @Test
  void runWhenDaemonModeIsAskedShouldFailClearly() {
    new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                FlashTensorsAutoConfiguration.class, FlashTensorsChatAutoConfiguration.class))
        .withPropertyValues("flashtensors.chat.model=x/y", "flashtensors.server.enabled=true")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("flashtensors.server.enabled=true"));
  }

  @Test
  void runWhenChatIsDisabledShouldNotCreateChatModel() {
    this.contextRunner
        .withPropertyValues("flashtensors.chat.model=x/y", "flashtensors.chat.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(ChatModel.class));
  }

  @Test
  void runWhenUserDefinesChatModelShouldBackOff() {
    this.contextRunner
        .withPropertyValues("flashtensors.chat.model=test/tiny-qwen3")
        .withUserConfiguration(UserChatModelConfiguration.class)
        .run(
            context -> {
              assertThat(context).hasSingleBean(FlashTensorsChatModel.class);
              assertThat(context.getBean(FlashTensorsChatModel.class))
                  .isSameAs(context.getBean("myChatModel"));
            });
  }

  @Test
  void runWhenUserDefinesEngineShouldUseIt() {
    this.contextRunner
        .withPropertyValues("flashtensors.chat.model=test/tiny-qwen3")
        .withUserConfiguration(UserEngineConfiguration.class)
        .run(
            context -> {
              assertThat(context).hasSingleBean(ManagedChatEngine.class);
              assertThat(context.getBean(FakeEngineConfiguration.class).opened).isEmpty();
              assertThat(context.getBean(ChatModel.class).call("hi")).isEqualTo("mine");
            });
  }

  @Test
  void runWhenSpringAiIsMissingShouldKeepTheLoaderOnly() {
    this.contextRunner
        .withClassLoader(new FilteredClassLoader(ChatModel.class))
        .withPropertyValues("flashtensors.chat.model=test/tiny-qwen3")
        .run(
            context -> {
              assertThat(context).hasSingleBean(FlashLoader.class);
              assertThat(context).doesNotHaveBean(FlashTensorsChatModel.class);
              assertThat(context).doesNotHaveBean(ManagedChatEngine.class);
            });
  }

  @Test
  void runWhenContextClosesShouldCloseTheEngine() {
    FakeChatEngine[] engine = new FakeChatEngine[1];
    this.contextRunner
        .withPropertyValues("flashtensors.chat.model=test/tiny-qwen3")
        .run(
            context ->
                engine[0] = context.getBean(FakeEngineConfiguration.class).engines.getFirst());
    assertThat(engine[0].isClosed()).isTrue();
  }

  @Test
  void runWhenObservationRegistryExistsShouldObserveCalls() {
    this.contextRunner
        .withPropertyValues("flashtensors.chat.model=test/tiny-qwen3")
        .withBean(TestObservationRegistry.class, TestObservationRegistry::create)
        .run(
            context -> {
              context.getBean(ChatModel.class).call(new Prompt("hi"));
              TestObservationRegistryAssert.assertThat(
                      context.getBean(TestObservationRegistry.class))
                  .hasObservationWithNameEqualTo("gen_ai.client.operation")
                  .that()
                  .hasContextualNameEqualTo("chat test/tiny-qwen3");
            });
  }

  @Test
  void runWithChatClientAutoConfigurationShouldAnswerThroughChatClient() {
    this.contextRunner
        .withConfiguration(AutoConfigurations.of(ChatClientAutoConfiguration.class))
        .withPropertyValues("flashtensors.chat.model=test/tiny-qwen3")
        .run(
            context -> {
              ChatClient client = context.getBean(ChatClient.Builder.class).build();
              assertThat(client.prompt().user("hi").call().content())
                  .isEqualTo("hello from the fake");
              String streamed =
                  String.join(
                      "",
                      client
                          .prompt()
                          .user("hi")
                          .options(FlashTensorsChatOptions.builder().seed(1L))
                          .stream()
                          .content()
                          .collectList()
                          .block());
              assertThat(streamed).isEqualTo("hello from the fake");
              var engine = context.getBean(FakeEngineConfiguration.class).engines.getFirst();
              assertThat(engine.lastRequest().sampling().seed()).isEqualTo(1L);
            });
  }

  @Configuration(proxyBeanMethods = false)
  static class FakeEngineConfiguration {

    final List<ResolvedModel> opened = new CopyOnWriteArrayList<>();
    final List<FakeChatEngine> engines = new CopyOnWriteArrayList<>();

    @Bean
    ModelSource testModelSource() {
      return (model, policy) -> new ResolvedModel(model, Path.of("/models", model));
    }

    @Bean
    ChatEngineFactory testEngineFactory() {
      return model -> {
        this.opened.add(model);
        FakeChatEngine engine =
            new FakeChatEngine(model.id(), 1, request -> Answer.words("hello from the fake"));
        this.engines.add(engine);
        return engine;
      };
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class UnusedFactoryConfiguration {

    @Bean
    ChatEngineFactory testEngineFactory() {
      return model -> {
        throw new AssertionError("should not open " + model);
      };
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class UserChatModelConfiguration {

    @Bean
    FlashTensorsChatModel myChatModel() {
      return FlashTensorsChatModel.builder()
          .engine(new FakeChatEngine(request -> Answer.words("mine")))
          .build();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class UserEngineConfiguration {

    @Bean
    ManagedChatEngine myEngine() {
      return ManagedChatEngine.of(
          new FakeChatEngine("test/tiny-qwen3", 1, request -> Answer.words("mine")));
    }
  }
}
