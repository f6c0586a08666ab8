package io.flashtensors.spring.model;

/** The configured model is neither a local folder nor in the model store (and was not pulled). */
public class ModelNotFoundException extends RuntimeException {

  public ModelNotFoundException(String message) {
    super(message);
  }

  public ModelNotFoundException(String message, Throwable cause) {
    super(message, cause);
  }
}
