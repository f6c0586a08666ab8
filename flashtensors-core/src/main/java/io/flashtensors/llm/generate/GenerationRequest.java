package io.flashtensors.llm.generate;

import java.util.List;
import java.util.Set;

/**
 * What to generate from a prompt of token ids.
 *
 * @param promptIds the prompt
 * @param sampling how tokens are chosen
 * @param maxTokens most tokens to generate (the context length also limits them)
 * @param stopTokenIds tokens that end generation (kept in the output ids, not in the text)
 * @param stopSequences texts that end generation (not part of the text); need a decoder
 * @param sampleableTokens ids at or above this are never generated (the tokenizer's vocabulary
 *     size; the model's vocabulary size when there is no tokenizer)
 */
public record GenerationRequest(
    int[] promptIds,
    SamplingParams sampling,
    int maxTokens,
    Set<Integer> stopTokenIds,
    List<String> stopSequences,
    int sampleableTokens) {

  public GenerationRequest {
    promptIds = promptIds.clone();
    stopTokenIds = Set.copyOf(stopTokenIds);
    stopSequences = List.copyOf(stopSequences);
    if (promptIds.length == 0) {
      throw new IllegalArgumentException("the prompt has no tokens");
    }
    if (sampleableTokens < 1) {
      throw new IllegalArgumentException("sampleable tokens must be at least 1");
    }
    if (maxTokens < 1) {
      throw new IllegalArgumentException("max tokens must be at least 1, not " + maxTokens);
    }
  }

  @Override
  public int[] promptIds() {
    return promptIds.clone();
  }
}
