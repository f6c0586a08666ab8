package io.flashtensors.llm.tokenizer;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Hugging Face's {@code Split} pre-tokenizer with a regex: matches and the text between them become
 * pieces ({@code Isolated}), or the matches are dropped ({@code Removed}). Patterns are written for
 * Oniguruma; {@link #translate} rewrites the constructs whose meaning differs in java.util.regex
 * and rejects those it cannot vouch for.
 */
final class RegexPreTokenizer implements PreTokenizer {

  private final Pattern pattern;
  private final boolean removeMatches;

  RegexPreTokenizer(Pattern pattern, boolean removeMatches) {
    this.pattern = pattern;
    this.removeMatches = removeMatches;
  }

  /** A splitter for an Oniguruma pattern from tokenizer.json. */
  static RegexPreTokenizer ofOniguruma(String onigPattern, boolean removeMatches) {
    String java = translate(onigPattern);
    try {
      return new RegexPreTokenizer(Pattern.compile(java), removeMatches);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(
          "the split regex " + onigPattern + " cannot be compiled: " + e.getDescription(), e);
    }
  }

  /** A splitter on a literal string. */
  static RegexPreTokenizer ofLiteral(String literal, boolean removeMatches) {
    return new RegexPreTokenizer(Pattern.compile(Pattern.quote(literal)), removeMatches);
  }

  @Override
  public void split(String text, int start, int end, Sink sink) {
    Matcher m = pattern.matcher(text);
    m.region(start, end);
    int previous = start;
    while (m.find()) {
      if (m.start() == m.end()) {
        continue; // empty matches split nothing
      }
      if (m.start() > previous) {
        sink.accept(text, previous, m.start());
      }
      if (!removeMatches) {
        sink.accept(text, m.start(), m.end());
      }
      previous = m.end();
    }
    if (previous < end) {
      sink.accept(text, previous, end);
    }
  }

  /**
   * Rewrites an Oniguruma pattern for java.util.regex: {@code \s}/{@code \S} become the White_Space
   * property (Java's are ASCII-only), case-insensitive groups also fold non-ASCII letters, and
   * {@code \p{Script}} names get Java's {@code Is} prefix. Shorthands whose Unicode meaning differs
   * between the engines ({@code \d \w \b \h} and their negations) are refused.
   */
  static String translate(String onig) {
    StringBuilder out = new StringBuilder(onig.length() + 32);
    for (int i = 0; i < onig.length(); i++) {
      char c = onig.charAt(i);
      if (c == '\\' && i + 1 < onig.length()) {
        char e = onig.charAt(++i);
        switch (e) {
          case 's' -> out.append("\\p{IsWhite_Space}");
          case 'S' -> out.append("\\P{IsWhite_Space}");
          case 'd', 'D', 'w', 'W', 'b', 'B', 'h', 'H' ->
              throw new IllegalArgumentException(
                  "the split regex uses \\"
                      + e
                      + ", whose meaning differs between Oniguruma and Java; not supported");
          case 'p', 'P' -> {
            int close = onig.indexOf('}', i);
            if (i + 1 >= onig.length() || onig.charAt(i + 1) != '{' || close < 0) {
              throw new IllegalArgumentException("the split regex has a malformed \\" + e);
            }
            String name = onig.substring(i + 2, close);
            boolean negated = name.startsWith("^");
            if (negated) {
              name = name.substring(1);
            }
            boolean upper = (e == 'P') != negated;
            out.append('\\').append(upper ? 'P' : 'p').append('{').append(javaProperty(name));
            out.append('}');
            i = close;
          }
          default -> out.append('\\').append(e);
        }
      } else if (c == '(' && onig.startsWith("(?i", i)) {
        out.append("(?iu");
        i += 2;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /** Java spells general categories as Oniguruma does and other properties with an Is prefix. */
  private static String javaProperty(String name) {
    boolean generalCategory =
        name.length() <= 2 && !name.isEmpty() && Character.isUpperCase(name.charAt(0));
    return generalCategory ? name : "Is" + name;
  }
}
