package io.flashtensors.llm;

/**
 * Durations of one generation, in nanoseconds.
 *
 * @param prefillNanos time to process the prompt (to the first token's logits)
 * @param decodeNanos time spent generating after the first token
 * @param decodedTokens tokens generated after the first
 */
public record GenerationTimings(long prefillNanos, long decodeNanos, int decodedTokens) {

  /** Decode speed, tokens a second (0 when nothing was decoded). */
  public double decodeTokensPerSecond() {
    return decodeNanos <= 0 ? 0 : decodedTokens * 1e9 / decodeNanos;
  }
}
