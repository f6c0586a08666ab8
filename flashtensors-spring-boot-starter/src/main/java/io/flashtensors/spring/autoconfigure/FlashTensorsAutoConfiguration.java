package io.flashtensors.spring.autoconfigure;

import io.flashtensors.spring.model.LocalModelSource;
import io.flashtensors.spring.model.ModelSource;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/** Auto-configuration of flashtensors' model store and loader. */
@AutoConfiguration
@EnableConfigurationProperties(FlashTensorsProperties.class)
public final class FlashTensorsAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean(ModelSource.class)
  LocalModelSource flashTensorsModelSource(FlashTensorsProperties properties) {
    return new LocalModelSource(properties.getStoragePath());
  }
}
