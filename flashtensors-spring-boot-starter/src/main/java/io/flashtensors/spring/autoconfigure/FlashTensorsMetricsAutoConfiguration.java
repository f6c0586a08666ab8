package io.flashtensors.spring.autoconfigure;

import io.flashtensors.spring.actuate.FlashTensorsMetrics;
import io.flashtensors.spring.actuate.ResidentPoolStatistics;
import io.flashtensors.spring.model.ManagedChatEngine;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Meters of flashtensors' loads, resident models and pool ({@code flashtensors.*}), bound to every
 * meter registry when Micrometer is on the class path.
 */
@AutoConfiguration(after = FlashTensorsAutoConfiguration.class)
@ConditionalOnClass(MeterBinder.class)
public final class FlashTensorsMetricsAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  FlashTensorsMetrics flashTensorsMetrics(
      ObjectProvider<ManagedChatEngine> chatEngines, ObjectProvider<ResidentPoolStatistics> pool) {
    return new FlashTensorsMetrics(
        () -> chatEngines.orderedStream().toList(), pool::getIfUnique, List.of());
  }
}
