package io.flashtensors.llm.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class StreamingDecoderTest {

  private final Tokenizer tokenizer = Qwen3TokenizerFiles.tokenizer();

  private static String stream(Tokenizer t, int[] ids, boolean skipSpecial, StringBuilder pieces) {
    StreamingDecoder decoder = t.newStreamingDecoder(skipSpecial);
    StringBuilder out = new StringBuilder();
    for (int id : ids) {
      String piece = decoder.push(id);
      pieces.append(piece.isEmpty() ? "" : piece + "\u0000");
      out.append(piece);
    }
    out.append(decoder.finish());
    return out.toString();
  }

  @Test
  void neverSplitsACharacterAcrossPieces() {
    String text = "中文 😀👨‍👩‍👧 한국어 Ünïcödé 𠜎𠜱 <|im_end|> done";
    int[] ids = tokenizer.encode(text);
    StringBuilder pieces = new StringBuilder();
    assertThat(stream(tokenizer, ids, false, pieces)).isEqualTo(text);
    for (String piece : pieces.toString().split("\u0000")) {
      assertThat(piece).doesNotContain("\uFFFD");
      assertThat(Character.isHighSurrogate(piece.charAt(piece.length() - 1))).isFalse();
    }
  }

  @Test
  void holdsBackAnUnfinishedCharacter() {
    int e4 = tokenizer.tokenId(String.valueOf(ByteLevel.charOf(0xE4))).orElseThrow();
    int bd = tokenizer.tokenId(String.valueOf(ByteLevel.charOf(0xBD))).orElseThrow();
    int a0 = tokenizer.tokenId(String.valueOf(ByteLevel.charOf(0xA0))).orElseThrow();
    StreamingDecoder decoder = tokenizer.newStreamingDecoder(false);
    assertThat(decoder.push(e4)).isEmpty();
    assertThat(decoder.push(bd)).isEmpty();
    assertThat(decoder.hasPendingBytes()).isTrue();
    assertThat(decoder.push(a0)).isEqualTo("你");
    assertThat(decoder.push(e4)).isEmpty();
    assertThat(decoder.finish()).isEqualTo("\uFFFD");
  }

  @Test
  void concatenatedPiecesEqualDecodeForRandomIds() {
    Random random = new Random(7);
    int[] byteIds = new int[256];
    for (int b = 0; b < 256; b++) {
      byteIds[b] = tokenizer.tokenId(String.valueOf(ByteLevel.charOf(b))).orElseThrow();
    }
    for (int n = 0; n < 2000; n++) {
      int[] ids = new int[1 + random.nextInt(12)];
      for (int i = 0; i < ids.length; i++) {
        ids[i] =
            random.nextBoolean()
                ? byteIds[random.nextInt(256)]
                : random.nextInt(tokenizer.vocabularySize());
      }
      boolean skip = random.nextBoolean();
      assertThat(stream(tokenizer, ids, skip, new StringBuilder()))
          .isEqualTo(tokenizer.decode(ids, skip));
    }
  }
}
