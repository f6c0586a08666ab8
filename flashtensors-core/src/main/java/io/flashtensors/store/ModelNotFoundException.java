package io.flashtensors.store;

/** The store has no model of that id (or revision). */
public final class ModelNotFoundException extends StoreException {

  private static final long serialVersionUID = 1L;

  public ModelNotFoundException(String message) {
    super(message);
  }
}
