package io.flashtensors.spring.model;

/** The configured model is neither a local folder nor in the model store. */
public class ModelNotFoundException extends RuntimeException {

  public ModelNotFoundException(String message) {
    super(message);
  }
}
