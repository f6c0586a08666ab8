package io.flashtensors.llm.tokenizer;

import java.text.Normalizer;
import java.util.List;

/** The normalizers of tokenizer.json this implementation supports: Unicode normal forms. */
@FunctionalInterface
interface TextNormalizer {

  String normalize(String text);

  static TextNormalizer none() {
    return text -> text;
  }

  /**
   * One Unicode normal form. Text made only of characters below U+0300 (all ASCII and Latin-1 text,
   * for instance) is already in NFC and NFD, so it skips the JDK normalizer.
   */
  static TextNormalizer unicode(Normalizer.Form form) {
    boolean composing = form == Normalizer.Form.NFC || form == Normalizer.Form.NFD;
    return text -> {
      if (composing && belowCombiningMarks(text)) {
        return text;
      }
      return Normalizer.isNormalized(text, form) ? text : Normalizer.normalize(text, form);
    };
  }

  static TextNormalizer sequence(List<TextNormalizer> steps) {
    return text -> {
      String out = text;
      for (TextNormalizer step : steps) {
        out = step.normalize(out);
      }
      return out;
    };
  }

  private static boolean belowCombiningMarks(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) >= 0x300) {
        return false;
      }
    }
    return true;
  }
}
