package io.flashtensors.spring.autoconfigure;

import io.flashtensors.spring.model.ManagedChatEngine;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;

/**
 * Loads the chat model once every singleton exists, so the application is ready to answer when it
 * reports started; a model that cannot load stops the startup with the reason.
 */
final class ChatEngineStartupLoader implements SmartInitializingSingleton {

  private static final Log logger = LogFactory.getLog(ChatEngineStartupLoader.class);

  private final ManagedChatEngine engine;

  ChatEngineStartupLoader(ManagedChatEngine engine) {
    this.engine = engine;
  }

  @Override
  public void afterSingletonsInstantiated() {
    var descriptor = this.engine.get().descriptor();
    logger.info(
        "Loaded chat model %s (%s) on %s in %.2f s"
            .formatted(
                descriptor.id(),
                descriptor.architecture(),
                descriptor.device(),
                descriptor.loadSeconds()));
  }
}
