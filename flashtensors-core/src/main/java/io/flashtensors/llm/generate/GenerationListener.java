package io.flashtensors.llm.generate;

/** Receives each generated token with the text it released, on the generating thread. */
@FunctionalInterface
public interface GenerationListener {

  /**
   * One step of output.
   *
   * @param tokenId the generated token, or -1 for the final release of held-back text
   * @param text text released by this step (empty while a character is incomplete or a stop
   *     sequence might still match; always empty without a decoder)
   * @return false to stop generation (finish reason {@code CANCELLED})
   */
  boolean onToken(int tokenId, String text);

  /** A listener that ignores everything. */
  static GenerationListener none() {
    return (tokenId, text) -> true;
  }
}
