package io.flashtensors.llm.tokenizer;

/**
 * GPT-2's reversible byte-to-character mapping used by byte-level BPE: printable bytes keep their
 * code point, the 68 others (controls, space, DEL, NBSP, soft hyphen...) move to U+0100 and up in
 * increasing order. Vocabulary keys and merges are spelled in this alphabet.
 */
final class ByteLevel {

  private static final char[] BYTE_TO_CHAR = new char[256];
  private static final int[] CHAR_TO_BYTE = new int[0x200];

  static {
    java.util.Arrays.fill(CHAR_TO_BYTE, -1);
    int shifted = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      char c = printable ? (char) b : (char) (0x100 + shifted++);
      BYTE_TO_CHAR[b] = c;
      CHAR_TO_BYTE[c] = b;
    }
  }

  private ByteLevel() {}

  /** The alphabet character standing for byte {@code b} (0..255). */
  static char charOf(int b) {
    return BYTE_TO_CHAR[b & 0xFF];
  }

  /** The byte a character of the alphabet stands for, or -1 when it is not in the alphabet. */
  static int byteOf(int c) {
    return c >= 0 && c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
  }

  /** Spells bytes in the alphabet. */
  static String encode(byte[] bytes) {
    char[] chars = new char[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      chars[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
    }
    return new String(chars);
  }

  /**
   * The bytes a token string stands for, as Hugging Face's ByteLevel decoder computes them: every
   * character mapped back to its byte, or, when any character is outside the alphabet (added tokens
   * such as {@code <|im_start|>} with a space, say), the token's own UTF-8 bytes.
   */
  static byte[] decode(String token) {
    byte[] out = new byte[token.length()];
    for (int i = 0; i < token.length(); i++) {
      int b = byteOf(token.charAt(i));
      if (b < 0) {
        return token.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      }
      out[i] = (byte) b;
    }
    return out;
  }
}
