package io.flashtensors.llm.tokenizer;

import static io.flashtensors.llm.tokenizer.UnicodeClasses.LETTER;
import static io.flashtensors.llm.tokenizer.UnicodeClasses.NEWLINE;
import static io.flashtensors.llm.tokenizer.UnicodeClasses.NUMBER;
import static io.flashtensors.llm.tokenizer.UnicodeClasses.OTHER;
import static io.flashtensors.llm.tokenizer.UnicodeClasses.SPACE;

/**
 * The Qwen2/Qwen3 split regex as a hand-written scanner, with the same matches as Oniguruma gives
 * for
 *
 * <pre>
 * (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * </pre>
 *
 * (alternatives tried in order at each position, the first that matches wins, each with its
 * greedy-then-backtrack meaning). It runs in time linear in the text and allocates nothing, where a
 * backtracking regex spends quadratic time on long whitespace runs. {@link RegexPreTokenizer} with
 * the same pattern is the reference it is tested against.
 */
final class Qwen2PreTokenizer implements PreTokenizer {

  /** The pattern, verbatim as Qwen2 and Qwen3 {@code tokenizer.json} files spell it. */
  static final String PATTERN =
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
          + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

  @Override
  public void split(String text, int start, int end, Sink sink) {
    int i = start;
    while (i < end) {
      int stop = matchAt(text, i, end);
      sink.accept(text, i, stop);
      i = stop;
    }
  }

  /** The end of the match starting at {@code i} (every position starts one). */
  static int matchAt(String s, int i, int end) {
    int c0 = s.codePointAt(i);
    int n0 = Character.charCount(c0);
    byte k0 = UnicodeClasses.classOf(c0);
    int i1 = i + n0;

    // (?i:'s|'t|'re|'ve|'m|'ll|'d)
    if (c0 == '\'' && i1 < end) {
      int contraction = contractionEnd(s, i1, end);
      if (contraction > 0) {
        return contraction;
      }
    }
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (k0 == LETTER) {
      return letterRunEnd(s, i1, end);
    }
    if ((k0 == OTHER || k0 == SPACE) && i1 < end && classAt(s, i1) == LETTER) {
      return letterRunEnd(s, i1, end);
    }
    // \p{N}
    if (k0 == NUMBER) {
      return i1;
    }
    // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
    if (k0 == OTHER || (c0 == ' ' && i1 < end && classAt(s, i1) == OTHER)) {
      int j = i1;
      while (j < end && classAt(s, j) == OTHER) {
        j += Character.charCount(s.codePointAt(j));
      }
      while (j < end && (s.charAt(j) == '\r' || s.charAt(j) == '\n')) {
        j++;
      }
      return j;
    }
    // Only white space is left (k0 is SPACE or NEWLINE). White space is all in the BMP.
    int runEnd = i;
    int lastNewline = -1;
    while (runEnd < end) {
      char c = s.charAt(runEnd);
      byte k = UnicodeClasses.classOf(c);
      if (k == NEWLINE) {
        lastNewline = runEnd;
      } else if (k != SPACE) {
        break;
      }
      runEnd++;
    }
    // \s*[\r\n]+ : \s* backs off to the last CR/LF of the run.
    if (lastNewline >= 0) {
      return lastNewline + 1;
    }
    // \s+(?!\S) : the whole run at the end of the text, else all but its last character.
    if (runEnd == end) {
      return runEnd;
    }
    if (runEnd - i >= 2) {
      return runEnd - 1;
    }
    // \s+
    return runEnd;
  }

  private static byte classAt(String s, int i) {
    return UnicodeClasses.classOf(s.codePointAt(i));
  }

  private static int letterRunEnd(String s, int i, int end) {
    while (i < end) {
      int c = s.codePointAt(i);
      if (UnicodeClasses.classOf(c) != LETTER) {
        break;
      }
      i += Character.charCount(c);
    }
    return i;
  }

  /** After an apostrophe at i - 1: the end of 's 't 're 've 'm 'll 'd (any case), or -1. */
  private static int contractionEnd(String s, int i, int end) {
    char c1 = s.charAt(i);
    if (foldsTo(c1, 's') || foldsTo(c1, 't') || foldsTo(c1, 'm') || foldsTo(c1, 'd')) {
      return i + 1;
    }
    if (i + 1 < end) {
      char c2 = s.charAt(i + 1);
      if ((foldsTo(c1, 'r') && foldsTo(c2, 'e'))
          || (foldsTo(c1, 'v') && foldsTo(c2, 'e'))
          || (foldsTo(c1, 'l') && foldsTo(c2, 'l'))) {
        return i + 2;
      }
    }
    return -1;
  }

  /**
   * Case-insensitive equality with an ASCII lowercase letter under Unicode simple case folding:
   * besides the two ASCII cases only U+017F LATIN SMALL LETTER LONG S folds onto one of the letters
   * used here ('s').
   */
  private static boolean foldsTo(char c, char lower) {
    return c == lower || c == lower - 32 || (lower == 's' && c == '\u017F');
  }
}
