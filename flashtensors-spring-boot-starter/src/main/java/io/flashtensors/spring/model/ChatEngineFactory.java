package io.flashtensors.spring.model;

import io.flashtensors.llm.ChatEngine;

/**
 * Opens a {@link ChatEngine} on a model folder: reads the config and tokenizer, loads the weights
 * onto the configured device. The caller owns the returned engine and closes it.
 */
@FunctionalInterface
public interface ChatEngineFactory {

  /**
   * Loads the model.
   *
   * @param model the model to load
   * @return a ready engine
   */
  ChatEngine open(ResolvedModel model);
}
