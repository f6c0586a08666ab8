package io.flashtensors.llm;

import java.util.List;

/**
 * How tokens are chosen and when generation stops. A null field means "use the model's default"
 * (from {@code generation_config.json}, else the engine's).
 *
 * @param maxTokens most tokens to generate
 * @param temperature 0 means greedy
 * @param topK keep the k most likely tokens (0 or less: all)
 * @param topP keep the smallest set whose probability reaches p (1: all)
 * @param minP drop tokens whose probability is below minP times the most likely one's (0: none)
 * @param presencePenalty subtracted from the logit of every token already generated
 * @param frequencyPenalty subtracted once per earlier occurrence of a generated token
 * @param seed seed of the random draw; same seed, prompt and options give the same output
 * @param stopSequences texts that end generation; they are not part of the output
 */
public record SamplingOptions(
    Integer maxTokens,
    Double temperature,
    Integer topK,
    Double topP,
    Double minP,
    Double presencePenalty,
    Double frequencyPenalty,
    Long seed,
    List<String> stopSequences) {

  public SamplingOptions {
    stopSequences = stopSequences == null ? List.of() : List.copyOf(stopSequences);
  }

  /** All defaults. */
  public static SamplingOptions defaults() {
    return new SamplingOptions(null, null, null, null, null, null, null, null, List.of());
  }

  /** Greedy decoding of at most {@code maxTokens} tokens. */
  public static SamplingOptions greedy(int maxTokens) {
    return new SamplingOptions(maxTokens, 0.0, null, null, null, null, null, null, List.of());
  }
}
