package io.flashtensors.llm.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The hand-written scanner against java.util.regex running the same pattern (translated from
 * Oniguruma): two independent implementations must split every text alike.
 */
class Qwen2PreTokenizerTest {

  private static final PreTokenizer SCANNER = new Qwen2PreTokenizer();
  private static final PreTokenizer REGEX =
      RegexPreTokenizer.ofOniguruma(Qwen2PreTokenizer.PATTERN, false);

  private static final String[] POOL = {
    "a", "b", "Z", "s", "S", "t", "T", "r", "R", "e", "E", "v", "V", "m", "M", "l", "L", "d", "D",
    "'", "'", "0", "7", " ", " ", " ", "\t", "\n", "\r", "\u000b", "\u000c", "\u0085", "\u00a0",
    "\u1680", "\u2003", "\u2028", "\u202f", "\u3000", "\u200b", ".", ",", "!", "?", "-", "(", "<",
    "|", "\"", "é", "ß", "ſ", "İ", "ж", "中", "の", "한", "ب", "न", "ि", "्", "\u0301", "²", "½", "Ⅻ",
    "٣", "①", "𝟙", "😀", "🏽", "\u200d", "𝒜", "𠜎", "—", "€", "\u0000"
  };

  static List<String> pieces(PreTokenizer p, String text) {
    List<String> out = new ArrayList<>();
    p.split(text, 0, text.length(), (t, s, e) -> out.add(t.substring(s, e)));
    return out;
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "Hello world",
        "I'm here, they'll go",
        "'S 'T 'RE 'Ve 'LL 'ſ",
        "a  b",
        "a   b\n\n  c",
        "  \n\t x",
        "x\r\n\r\ny",
        "123 4567",
        " 12",
        "((hello)) !!",
        " !!\n\n",
        "\u00a0word",
        "\u3000全角",
        "tail   ",
        "\n   ",
        "'hello'",
        "it's",
        "x \u0301",
        "😀😀 👍🏽",
        "𝒜𝒷 𠜎𠜱"
      })
  void splitsLikeTheRegex(String text) {
    assertThat(pieces(SCANNER, text)).isEqualTo(pieces(REGEX, text));
  }

  @Test
  void splitsRandomTextsLikeTheRegex() {
    Random random = new Random(42);
    for (int n = 0; n < 3000; n++) {
      StringBuilder text = new StringBuilder();
      int length = 1 + random.nextInt(60);
      for (int i = 0; i < length; i++) {
        text.append(POOL[random.nextInt(POOL.length)]);
      }
      String s = text.toString();
      assertThat(pieces(SCANNER, s)).as("pieces of %s", s).isEqualTo(pieces(REGEX, s));
    }
  }

  @Test
  void splitsKnownCases() {
    assertThat(pieces(SCANNER, "Hello, world!")).containsExactly("Hello", ",", " world", "!");
    assertThat(pieces(SCANNER, "I'm 123")).containsExactly("I", "'m", " ", "1", "2", "3");
    assertThat(pieces(SCANNER, "a   b")).containsExactly("a", "  ", " b");
    assertThat(pieces(SCANNER, "x\n\n  y")).containsExactly("x", "\n\n", " ", " y");
    assertThat(pieces(SCANNER, "end  ")).containsExactly("end", "  ");
  }

  @Test
  void treatsTheRangeEndAsTheEndOfText() {
    String text = "ab   cd";
    List<String> out = new ArrayList<>();
    SCANNER.split(text, 0, 5, (t, s, e) -> out.add(t.substring(s, e)));
    assertThat(out).containsExactly("ab", "   ");
  }
}
