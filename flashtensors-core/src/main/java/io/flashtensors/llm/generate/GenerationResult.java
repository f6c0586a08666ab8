package io.flashtensors.llm.generate;

import io.flashtensors.llm.FinishReason;
import io.flashtensors.llm.GenerationTimings;

/**
 * What a generation produced.
 *
 * @param outputIds generated tokens, the stop token included when one ended generation
 * @param text the decoded output without stop tokens and stop sequences (empty without a decoder)
 * @param promptTokens tokens of the prompt
 * @param completionTokens tokens generated (the length of {@code outputIds})
 * @param finishReason why generation ended
 * @param timings prefill and decode durations
 * @param promptLastLogits logits at the last prompt position (float32, a copy)
 * @param seed the seed of the random draws (to reproduce the output)
 */
public record GenerationResult(
    int[] outputIds,
    String text,
    int promptTokens,
    int completionTokens,
    FinishReason finishReason,
    GenerationTimings timings,
    float[] promptLastLogits,
    long seed) {

  @Override
  public int[] outputIds() {
    return outputIds.clone();
  }
}
