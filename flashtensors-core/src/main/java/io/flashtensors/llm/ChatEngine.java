package io.flashtensors.llm;

/**
 * A loaded chat model that answers conversations. Implementations hold weights on one device and a
 * tokenizer; one request runs at a time per engine unless {@link #maxConcurrentRequests()} says
 * more.
 */
public interface ChatEngine extends AutoCloseable {

  /** Describes the model and where it runs. */
  ModelDescriptor descriptor();

  /**
   * Renders the conversation with the model's chat template, generates, and parses the output.
   * Blocks until generation ends; streams pieces to {@code listener} as they come.
   */
  ChatResult chat(ChatRequest request, TokenListener listener);

  /** How many requests may run at once (others wait); 1 for engines with a single KV cache. */
  default int maxConcurrentRequests() {
    return 1;
  }

  /** Frees the weights, caches and device memory the engine holds. */
  @Override
  void close();
}
