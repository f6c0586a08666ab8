package io.flashtensors.llm.tokenizer;

/**
 * The character classes the pre-tokenizer regexes use, with Oniguruma's Unicode meanings (the regex
 * engine behind Hugging Face's tokenizers): {@code \s} is the White_Space property (NBSP and U+3000
 * included, unlike {@link Character#isWhitespace}), {@code \p{L}} the letter categories and {@code
 * \p{N}} the number categories.
 */
final class UnicodeClasses {

  static final byte OTHER = 0;
  static final byte LETTER = 1;
  static final byte NUMBER = 2;

  /** White space other than CR and LF. */
  static final byte SPACE = 3;

  /** CR or LF. */
  static final byte NEWLINE = 4;

  private static final byte[] BMP = new byte[0x10000];

  static {
    for (int c = 0; c < BMP.length; c++) {
      BMP[c] = compute(c);
    }
  }

  private UnicodeClasses() {}

  static byte classOf(int codePoint) {
    return codePoint < 0x10000 ? BMP[codePoint] : compute(codePoint);
  }

  /** The White_Space property (all such characters are in the BMP). */
  static boolean isWhiteSpace(int c) {
    return switch (c) {
      case 0x09,
          0x0A,
          0x0B,
          0x0C,
          0x0D,
          0x20,
          0x85,
          0xA0,
          0x1680,
          0x2028,
          0x2029,
          0x202F,
          0x205F,
          0x3000 ->
          true;
      default -> c >= 0x2000 && c <= 0x200A;
    };
  }

  private static byte compute(int c) {
    if (c == '\r' || c == '\n') {
      return NEWLINE;
    }
    if (isWhiteSpace(c)) {
      return SPACE;
    }
    return switch (Character.getType(c)) {
      case Character.UPPERCASE_LETTER,
          Character.LOWERCASE_LETTER,
          Character.TITLECASE_LETTER,
          Character.MODIFIER_LETTER,
          Character.OTHER_LETTER ->
          LETTER;
      case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER ->
          NUMBER;
      default -> OTHER;
    };
  }
}
