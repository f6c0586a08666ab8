package io.flashtensors.spring.autoconfigure;

import io.flashtensors.spring.model.ModelNotFoundException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Explains a startup that failed because the configured chat model cannot be found. */
final class ModelNotFoundFailureAnalyzer extends AbstractFailureAnalyzer<ModelNotFoundException> {

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, ModelNotFoundException cause) {
    return new FailureAnalysis(
        "flashtensors could not find the chat model: " + cause.getMessage(),
        "Set flashtensors.chat.model to a folder holding a Hugging Face model (config.json,"
            + " tokenizer.json, *.safetensors) or to a model id in the store"
            + " (flashtensors.storage-path); `flashtensors pull ORG/NAME` adds one to the store.",
        cause);
  }
}
