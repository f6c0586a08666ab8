package io.flashtensors.llm.chat;

import io.flashtensors.llm.tokenizer.Tokenizer;
import io.flashtensors.llm.tokenizer.TokenizerConfig;
import java.util.Arrays;

/**
 * The ids of the tokens the Qwen3 chat format is built from, read from the tokenizer (never
 * hard-coded), and the ids that end generation.
 *
 * @param imStart {@code <|im_start|>}
 * @param imEnd {@code <|im_end|>}, which ends every turn
 * @param endOfText {@code <|endoftext|>}
 * @param think {@code <think>}
 * @param endThink {@code </think>}
 * @param toolCall {@code <tool_call>}
 * @param endToolCall {@code </tool_call>}
 * @param eos the end-of-sequence token of tokenizer_config.json ({@code <|im_end|>} for Qwen3 chat
 *     models), or {@code imEnd} when the file names none
 */
public record Qwen3SpecialTokens(
    int imStart,
    int imEnd,
    int endOfText,
    int think,
    int endThink,
    int toolCall,
    int endToolCall,
    int eos) {

  /**
   * Looks the tokens up.
   *
   * @throws io.flashtensors.llm.tokenizer.TokenizerFormatException when the tokenizer lacks one
   */
  public static Qwen3SpecialTokens of(Tokenizer tokenizer, TokenizerConfig config) {
    int imEnd = tokenizer.requireTokenId("<|im_end|>");
    return new Qwen3SpecialTokens(
        tokenizer.requireTokenId("<|im_start|>"),
        imEnd,
        tokenizer.requireTokenId("<|endoftext|>"),
        tokenizer.requireTokenId("<think>"),
        tokenizer.requireTokenId("</think>"),
        tokenizer.requireTokenId("<tool_call>"),
        tokenizer.requireTokenId("</tool_call>"),
        config.eosToken().map(tokenizer::requireTokenId).orElse(imEnd));
  }

  /**
   * The ids that end a chat answer: {@code eos}, {@code <|im_end|>} and {@code <|endoftext|>} (the
   * pair Qwen3's generation_config.json lists as eos_token_id), without duplicates.
   */
  public int[] stopTokenIds() {
    return Arrays.stream(new int[] {eos, imEnd, endOfText}).distinct().toArray();
  }
}
