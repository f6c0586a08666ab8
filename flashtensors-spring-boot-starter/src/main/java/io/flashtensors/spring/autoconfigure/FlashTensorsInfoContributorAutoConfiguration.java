package io.flashtensors.spring.autoconfigure;

import io.flashtensors.load.FlashLoader;
import io.flashtensors.spring.actuate.FlashTensorsInfoContributor;
import io.flashtensors.spring.model.ManagedChatEngine;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.info.ConditionalOnEnabledInfoContributor;
import org.springframework.boot.actuate.info.InfoContributor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/** Adds flashtensors' versions, device, loader settings and models to the info endpoint. */
@AutoConfiguration(
    after = {FlashTensorsAutoConfiguration.class, FlashTensorsChatAutoConfiguration.class})
@ConditionalOnClass({
  InfoContributor.class,
  ConditionalOnEnabledInfoContributor.class,
  ChatModel.class
})
@ConditionalOnBean(FlashLoader.class)
@ConditionalOnEnabledInfoContributor("flashtensors")
public final class FlashTensorsInfoContributorAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean(name = "flashTensorsInfoContributor")
  FlashTensorsInfoContributor flashTensorsInfoContributor(
      FlashTensorsProperties properties,
      FlashLoader loader,
      ObjectProvider<ManagedChatEngine> chatEngine) {
    return new FlashTensorsInfoContributor(
        properties.getDevice(), loader, chatEngine.getIfUnique());
  }
}
