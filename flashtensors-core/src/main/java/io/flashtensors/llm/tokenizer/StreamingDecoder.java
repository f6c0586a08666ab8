package io.flashtensors.llm.tokenizer;

import java.util.Arrays;

/**
 * Turns token ids into text one at a time, as a model generates them. A character whose UTF-8 bytes
 * span several tokens (common for CJK and emoji) is held back until its last byte arrives, so no
 * piece ever ends in half a character; bytes that can never form a character come out as U+FFFD,
 * exactly as {@link Tokenizer#decode} would render them. The pieces concatenated equal {@code
 * decode} of all the ids. Not thread-safe: one per generation.
 */
public final class StreamingDecoder {

  private final Tokenizer tokenizer;
  private final boolean skipSpecialTokens;
  private byte[] pending = new byte[16];
  private int pendingLength;

  StreamingDecoder(Tokenizer tokenizer, boolean skipSpecialTokens) {
    this.tokenizer = tokenizer;
    this.skipSpecialTokens = skipSpecialTokens;
  }

  /**
   * Adds one token and returns the text that is now complete (possibly empty).
   *
   * @throws IllegalArgumentException if the id is not in the tokenizer's vocabulary
   */
  public String push(int id) {
    if (skipSpecialTokens && tokenizer.isSpecial(id)) {
      return "";
    }
    byte[] bytes = tokenizer.tokenBytes(id);
    if (pendingLength + bytes.length > pending.length) {
      pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + bytes.length));
    }
    System.arraycopy(bytes, 0, pending, pendingLength, bytes.length);
    pendingLength += bytes.length;
    int ready = Utf8.completePrefixLength(pending, pendingLength);
    if (ready == 0) {
      return "";
    }
    String text = Utf8.decodeLossy(pending, 0, ready);
    System.arraycopy(pending, ready, pending, 0, pendingLength - ready);
    pendingLength -= ready;
    return text;
  }

  /** Whether bytes of an unfinished character are held back. */
  public boolean hasPendingBytes() {
    return pendingLength > 0;
  }

  /**
   * Ends the stream: returns held-back bytes of an unfinished character as U+FFFD (what {@code
   * decode} gives for a truncated character) and resets the decoder.
   */
  public String finish() {
    String text = pendingLength == 0 ? "" : Utf8.decodeLossy(pending, 0, pendingLength);
    pendingLength = 0;
    return text;
  }
}
