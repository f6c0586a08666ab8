package io.flashtensors.spring.ai;

/**
 * The model is answering as many requests as it can and the request could not wait: the queue was
 * full, or its turn did not come within the wait timeout.
 */
public class ModelBusyException extends RuntimeException {

  public ModelBusyException(String message) {
    super(message);
  }
}
