package io.flashtensors.llm.generate;

/**
 * Turns generated token ids into text as they come. Text is released only in whole UTF-8
 * characters: a token that ends inside a character yields what is complete so far.
 */
public interface IncrementalDecoder {

  /** Text completed by this token (may be empty). */
  String push(int tokenId);

  /** Whatever is still held at the end of generation (an incomplete character, replaced). */
  String finish();
}
