package io.flashtensors.spring.autoconfigure;

import io.flashtensors.load.FlashLoader;
import io.flashtensors.load.LoadListener;
import io.flashtensors.load.gpu.GpuLoader;
import io.flashtensors.load.gpu.GpuLoaderOptions;
import io.flashtensors.spring.model.BackgroundGpuLoader;
import io.flashtensors.spring.model.HubModelPuller;
import io.flashtensors.spring.model.LocalModelSource;
import io.flashtensors.spring.model.ModelSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;

/**
 * Auto-configuration of flashtensors' loaders (host, and GPU with its pinned pool when the device
 * is a GPU) and model source.
 */
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

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  @Conditional(OnGpuDeviceCondition.class)
  BackgroundGpuLoader flashTensorsGpuLoader(FlashTensorsProperties properties) {
    GpuLoaderOptions.Builder options =
        GpuLoaderOptions.builder()
            .chunkSize(properties.getChunkSize().toBytes())
            .gpuMemoryUtilization(properties.getGpuMemoryUtilization());
    if (properties.getMemPoolSize() != null) {
      options.memPoolSize(properties.getMemPoolSize().toBytes());
    }
    if (properties.getNumThreads() != null) {
      options.threads(properties.getNumThreads());
    }
    GpuLoaderOptions built = options.build();
    return new BackgroundGpuLoader(() -> GpuLoader.create(built));
  }

  @Bean
  @ConditionalOnMissingBean(ModelSource.class)
  LocalModelSource flashTensorsModelSource(FlashTensorsProperties properties) {
    return new LocalModelSource(properties.getStoragePath(), HubModelPuller.fromEnvironment());
  }
}
