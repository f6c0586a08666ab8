package io.flashtensors.llm.tokenizer;

/**
 * A token of tokenizer.json's {@code added_tokens}: matched in the text before anything else, as a
 * whole, so {@code <|im_start|>} in a prompt becomes one id.
 *
 * @param id its id
 * @param content the text it matches
 * @param special whether decoding with special tokens skipped drops it
 * @param lstrip whether it also takes the white space before it
 * @param rstrip whether it also takes the white space after it
 * @param normalized whether it is matched in normalized text (else in the raw text)
 */
public record AddedToken(
    int id, String content, boolean special, boolean lstrip, boolean rstrip, boolean normalized) {}
