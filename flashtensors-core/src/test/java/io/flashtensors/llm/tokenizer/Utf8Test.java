package io.flashtensors.llm.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class Utf8Test {

  private static int ready(int... bytes) {
    byte[] b = new byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      b[i] = (byte) bytes[i];
    }
    return Utf8.completePrefixLength(b, b.length);
  }

  @Test
  void holdsBackTheValidStartOfACharacter() {
    assertThat(ready(0x41, 0xE4)).isEqualTo(1);
    assertThat(ready(0x41, 0xE4, 0xBD)).isEqualTo(1);
    assertThat(ready(0xF0, 0x9F, 0x98)).isZero();
    assertThat(ready(0xC3)).isZero();
  }

  @Test
  void releasesCompleteAndHopelessSequences() {
    assertThat(ready(0xE4, 0xBD, 0xA0)).isEqualTo(3);
    assertThat(ready(0xF0, 0x9F, 0x98, 0x80)).isEqualTo(4);
    assertThat(ready(0xE4, 0x41)).isEqualTo(2);
    assertThat(ready(0x80)).isEqualTo(1);
    assertThat(ready(0xC0)).as("C0 never starts a character").isEqualTo(1);
    assertThat(ready(0xE0, 0x80)).as("E0 needs A0..BF next").isEqualTo(2);
    assertThat(ready(0xED, 0xA0)).as("a surrogate").isEqualTo(2);
    assertThat(ready(0xF4, 0x90)).as("beyond U+10FFFF").isEqualTo(2);
    assertThat(ready(0xF5)).isEqualTo(1);
  }

  @Test
  void replacesEachMaximalInvalidSubsequenceOnce() {
    byte[] bytes = {(byte) 0xE4, (byte) 0xBD, 0x41, (byte) 0xE0, (byte) 0x80, (byte) 0xFF};
    assertThat(Utf8.decodeLossy(bytes, 0, bytes.length)).isEqualTo("\uFFFDA\uFFFD\uFFFD\uFFFD");
  }

  @Test
  void replacesEncodedSurrogatesByteByByteAsRustDoes() {
    // The JDK decoder turns ED A1 97 into one U+FFFD; Rust (and Hugging Face) into three.
    byte[] bytes = {(byte) 0xED, (byte) 0xA1, (byte) 0x97, 0x41};
    assertThat(Utf8.decodeLossy(bytes, 0, bytes.length)).isEqualTo("\uFFFD\uFFFD\uFFFDA");
  }

  @Test
  void decodesValidTextOfEveryLength() {
    String text = "a\u00e9\u4e2d\ud83d\ude00 \u0000\u007f";
    byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(Utf8.decodeLossy(bytes, 0, bytes.length)).isEqualTo(text);
    assertThat(Utf8.decodeLossy(bytes, 1, 2)).isEqualTo("\u00e9");
  }

  @Test
  void replacesATruncatedCharacterAtTheEndOnce() {
    byte[] bytes = {0x41, (byte) 0xF0, (byte) 0x9F, (byte) 0x98};
    assertThat(Utf8.decodeLossy(bytes, 0, bytes.length)).isEqualTo("A\uFFFD");
  }
}
