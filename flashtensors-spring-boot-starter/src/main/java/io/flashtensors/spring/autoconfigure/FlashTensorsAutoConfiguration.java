package io.flashtensors.spring.autoconfigure;

import io.flashtensors.load.FlashLoader;
import io.flashtensors.load.LoadListener;
import io.flashtensors.spring.model.HubModelPuller;
import io.flashtensors.spring.model.LocalModelSource;
import io.flashtensors.spring.model.ModelSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/** Auto-configuration of flashtensors' loader and model source. */
@AutoConfiguration
@EnableConfigurationProperties(FlashTensorsProperties.class)
public final class FlashTensorsAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  FlashLoader flashLoader(
      FlashTensorsProperties properties, ObjectProvider<LoadListener> listeners) {
    FlashLoader.Builder builder =
        FlashLoader.builder()
            .chunkSize(properties.getChunkSize().toBytes())
            .listener(CompositeLoadListener.of(listeners.orderedStream().toList()));
    if (properties.getNumThreads() != null) {
      builder.threads(properties.getNumThreads());
    }
    if (properties.getMemPoolSize() != null) {
      builder.poolSize(properties.getMemPoolSize().toBytes());
    }
    return builder.build();
  }

  @Bean
  @ConditionalOnMissingBean(ModelSource.class)
  LocalModelSource flashTensorsModelSource(FlashTensorsProperties properties) {
    return new LocalModelSource(properties.getStoragePath(), HubModelPuller.fromEnvironment());
  }
}
