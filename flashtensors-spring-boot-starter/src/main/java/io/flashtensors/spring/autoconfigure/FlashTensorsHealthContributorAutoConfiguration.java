package io.flashtensors.spring.autoconfigure;

import io.flashtensors.load.FlashLoader;
import io.flashtensors.spring.actuate.FlashTensorsHealthIndicator;
import io.flashtensors.spring.actuate.ResidentPoolStatistics;
import io.flashtensors.spring.model.ManagedChatEngine;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/** Health indicator of flashtensors, named {@code flashTensors} on the health endpoint. */
@AutoConfiguration(
    after = {FlashTensorsAutoConfiguration.class, FlashTensorsChatAutoConfiguration.class})
@ConditionalOnClass({HealthIndicator.class, ConditionalOnEnabledHealthIndicator.class})
@ConditionalOnBean(FlashLoader.class)
@ConditionalOnEnabledHealthIndicator("flashtensors")
public final class FlashTensorsHealthContributorAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean(name = "flashTensorsHealthIndicator")
  FlashTensorsHealthIndicator flashTensorsHealthIndicator(
      FlashTensorsProperties properties,
      ObjectProvider<ManagedChatEngine> chatEngine,
      ObjectProvider<ResidentPoolStatistics> pool) {
    return new FlashTensorsHealthIndicator(
        properties.getDevice(), chatEngine.getIfUnique(), pool::getIfUnique);
  }
}
