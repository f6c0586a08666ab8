package io.flashtensors.llm.generate;

/**
 * Sampling settings with every default resolved. See {@link Sampler} for the exact order in which
 * they act on the logits.
 *
 * @param temperature 0 for greedy decoding; otherwise logits are divided by it
 * @param topK keep the {@code topK} highest logits (ties with the k-th kept too); 0: off
 * @param topP keep the smallest high-probability set whose mass exceeds {@code topP}; 1: off
 * @param minP drop tokens less likely than {@code minP} times the most likely one; 0: off
 * @param presencePenalty subtracted once from the logit of every token generated so far
 * @param frequencyPenalty subtracted from a token's logit once per time it was generated so far
 * @param seed seed of the random draws (the same seed, prompt and settings give the same tokens)
 */
public record SamplingParams(
    double temperature,
    int topK,
    double topP,
    double minP,
    double presencePenalty,
    double frequencyPenalty,
    long seed) {

  public SamplingParams {
    if (!(temperature >= 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("temperature must be 0 or more, not " + temperature);
    }
    if (topK < 0) {
      throw new IllegalArgumentException("top-k must be 0 (off) or more, not " + topK);
    }
    if (!(topP > 0 && topP <= 1)) {
      throw new IllegalArgumentException("top-p must be in (0, 1], not " + topP);
    }
    if (!(minP >= 0 && minP <= 1)) {
      throw new IllegalArgumentException("min-p must be in [0, 1], not " + minP);
    }
    if (!Double.isFinite(presencePenalty) || !Double.isFinite(frequencyPenalty)) {
      throw new IllegalArgumentException("penalties must be finite numbers");
    }
  }

  /** Greedy decoding (temperature 0), no penalties. */
  public static SamplingParams greedy() {
    return new SamplingParams(0, 0, 1, 0, 0, 0, 0);
  }

  /** Whether the next token is the argmax of the (penalized) logits. */
  public boolean isGreedy() {
    return temperature == 0;
  }

  /** Whether any penalty applies. */
  public boolean hasPenalties() {
    return presencePenalty != 0 || frequencyPenalty != 0;
  }
}
