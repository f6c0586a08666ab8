package io.flashtensors.llm.generate;

/**
 * A model loaded on one device, ready to run sequences. A backend owns the device-side form of the
 * weights (and threads or streams); each sequence gets its own {@link ForwardPass} with its own
 * cache.
 */
public interface ModelBackend extends AutoCloseable {

  /** Where the weights live: {@code cpu} or {@code cuda:N}. */
  String device();

  /** A new sequence whose cache holds up to {@code contextLength} tokens. */
  ForwardPass newForwardPass(int contextLength);

  /** Frees what the backend holds (not the weights it was given as views). */
  @Override
  void close();
}
