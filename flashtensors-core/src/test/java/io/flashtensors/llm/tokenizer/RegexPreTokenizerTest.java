package io.flashtensors.llm.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class RegexPreTokenizerTest {

  @Test
  void translatesWhiteSpaceToTheUnicodeProperty() {
    assertThat(RegexPreTokenizer.translate("\\s+(?!\\S)|[^\\s\\p{L}]"))
        .isEqualTo("\\p{IsWhite_Space}+(?!\\P{IsWhite_Space})|[^\\p{IsWhite_Space}\\p{L}]");
  }

  @Test
  void makesCaseInsensitiveGroupsUnicodeAware() {
    assertThat(RegexPreTokenizer.translate("(?i:'s|'t)")).isEqualTo("(?iu:'s|'t)");
    assertThat(RegexPreTokenizer.translate("\\(?i")).isEqualTo("\\(?i");
  }

  @Test
  void prefixesScriptProperties() {
    assertThat(RegexPreTokenizer.translate("\\p{Han}\\p{Lu}\\P{N}\\p{^L}"))
        .isEqualTo("\\p{IsHan}\\p{Lu}\\P{N}\\P{L}");
  }

  @Test
  void refusesShorthandsWhoseMeaningDiffers() {
    assertThatThrownBy(() -> RegexPreTokenizer.translate("\\d+"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\\d");
    assertThatThrownBy(() -> RegexPreTokenizer.translate("\\w"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void isolatedKeepsMatchesAndGapsRemovedDropsMatches() {
    RegexPreTokenizer isolated = RegexPreTokenizer.ofLiteral("--", false);
    RegexPreTokenizer removed = RegexPreTokenizer.ofLiteral("--", true);
    assertThat(Qwen2PreTokenizerTest.pieces(isolated, "a--b----c"))
        .isEqualTo(List.of("a", "--", "b", "--", "--", "c"));
    assertThat(Qwen2PreTokenizerTest.pieces(removed, "a--b----c"))
        .isEqualTo(List.of("a", "b", "c"));
  }

  @Test
  void gpt2PatternTreatsNonBreakingSpaceAsWhiteSpace() {
    RegexPreTokenizer gpt2 = RegexPreTokenizer.ofOniguruma(TokenizerJsonReader.GPT2_PATTERN, false);
    assertThat(Qwen2PreTokenizerTest.pieces(gpt2, "a\u00a0\u00a0b"))
        .isEqualTo(List.of("a", "\u00a0", "\u00a0", "b"));
  }
}
