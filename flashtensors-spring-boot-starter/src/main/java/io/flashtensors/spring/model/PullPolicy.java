package io.flashtensors.spring.model;

/** Whether a model missing from the store is downloaded when the application starts. */
public enum PullPolicy {
  /** Never download; a missing model is an error. */
  NEVER,
  /** Download the model from the Hugging Face Hub when it is not in the store. */
  WHEN_MISSING
}
