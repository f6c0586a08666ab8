package io.flashtensors.llm.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TokenizerTest {

  private final Tokenizer tokenizer = Qwen3TokenizerFiles.tokenizer();

  @Test
  void encodesPlainTextWithoutAddingTokens() {
    // The ids Qwen's model cards show for this text.
    assertThat(tokenizer.encode("Hello, world!")).containsExactly(9707, 11, 1879, 0);
    assertThat(tokenizer.encode("")).isEmpty();
  }

  @Test
  void matchesAddedTokensInTheTextBeforeBpe() {
    int[] ids = tokenizer.encode("<|im_start|>user\nhi<|im_end|><think>x</think>");
    assertThat(ids[0]).isEqualTo(151644);
    assertThat(ids).contains(151645, 151667, 151668);
    assertThat(tokenizer.encode("<|im_end")).doesNotContain(151645);
  }

  @Test
  void readsVocabularyAndAddedTokens() {
    assertThat(tokenizer.vocabularySize()).isEqualTo(151669);
    assertThat(tokenizer.tokenId("<|im_end|>")).hasValue(151645);
    assertThat(tokenizer.tokenId("<|endoftext|>")).hasValue(151643);
    assertThat(tokenizer.tokenId("no such token")).isEmpty();
    assertThat(tokenizer.isSpecial(151645)).isTrue();
    assertThat(tokenizer.isSpecial(151667)).as("<think> is not special in Qwen3").isFalse();
    assertThat(tokenizer.addedTokens()).hasSize(26);
    assertThat(tokenizer.tokenString(220)).isEqualTo("Ġ");
  }

  @Test
  void decodesWithAndWithoutSpecialTokens() {
    int[] ids = tokenizer.encode("<|im_start|>assistant\n<think>\nok\n</think>\n\nDone.<|im_end|>");
    assertThat(tokenizer.decode(ids))
        .isEqualTo("<|im_start|>assistant\n<think>\nok\n</think>\n\nDone.<|im_end|>");
    assertThat(tokenizer.decode(ids, true)).isEqualTo("assistant\n<think>\nok\n</think>\n\nDone.");
  }

  @Test
  void decodesInvalidUtf8AsReplacementCharacters() {
    // Byte tokens 0xE4 0xBD (the first two bytes of 你) then "A".
    int e4 = tokenizer.tokenId(String.valueOf(ByteLevel.charOf(0xE4))).orElseThrow();
    int bd = tokenizer.tokenId(String.valueOf(ByteLevel.charOf(0xBD))).orElseThrow();
    int a = tokenizer.tokenId("A").orElseThrow();
    assertThat(tokenizer.decode(new int[] {e4, bd, a})).isEqualTo("\uFFFDA");
  }

  @Test
  void normalizesToNfcBeforeSplitting() {
    assertThat(tokenizer.encode("e\u0301")).isEqualTo(tokenizer.encode("\u00e9"));
    assertThat(tokenizer.decode(tokenizer.encode("e\u0301"))).isEqualTo("\u00e9");
  }

  @Test
  void replacesLoneSurrogatesWithTheReplacementCharacter() {
    assertThat(tokenizer.encode("a\uD800b")).isEqualTo(tokenizer.encode("a\uFFFDb"));
  }

  @Test
  void refusesIdsOutsideTheVocabulary() {
    assertThatThrownBy(() -> tokenizer.decode(new int[] {151669}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("151669");
    assertThatThrownBy(() -> tokenizer.decode(new int[] {-1}))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void requireTokenIdNamesTheMissingToken() {
    assertThatThrownBy(() -> tokenizer.requireTokenId("<|nope|>"))
        .isInstanceOf(TokenizerFormatException.class)
        .hasMessageContaining("<|nope|>");
  }

  @Test
  void encodesLongRunsOfOneCharacterClass() {
    // Runs that make a backtracking regex quadratic; the scanner is linear. Checked for
    // correctness here (the benchmark measures speed).
    String spaces = " ".repeat(200_000) + "x";
    int[] ids = tokenizer.encode(spaces);
    assertThat(tokenizer.decode(ids)).isEqualTo(spaces);
    String letters = "a".repeat(100_000);
    assertThat(tokenizer.decode(tokenizer.encode(letters))).isEqualTo(letters);
  }
}
