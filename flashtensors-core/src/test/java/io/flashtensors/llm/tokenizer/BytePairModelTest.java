package io.flashtensors.llm.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The scanning merge of short words against the heap merge, on Qwen3's real merges. */
class BytePairModelTest {

  private final BytePairModel model = Qwen3TokenizerFiles.tokenizer().model();

  @Test
  void scanningAndHeapMergeAgree() {
    Random random = new Random(11);
    String[] words = {
      "hello",
      " world",
      "tokenization",
      " internationalization",
      "aaaaaaaaaaaaaaaaaaaaaaaa",
      "你好世界",
      " 😀👍🏽",
      "ababababababab",
      "   ",
      "\n\n\n\n",
      "Straße",
      "ー・ー"
    };
    for (String word : words) {
      byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
      assertThat(model.mergeSmall(bytes)).as(word).isEqualTo(model.mergeWithHeap(bytes));
    }
    for (int n = 0; n < 20_000; n++) {
      byte[] bytes = new byte[2 + random.nextInt(BytePairModel.SMALL_WORD - 1)];
      for (int i = 0; i < bytes.length; i++) {
        // Mostly letters and spaces so that many merges apply; sometimes any byte.
        bytes[i] =
            random.nextInt(4) == 0
                ? (byte) random.nextInt(256)
                : (byte) " etaoinshrdlu".charAt(random.nextInt(13));
      }
      assertThat(model.mergeSmall(bytes)).isEqualTo(model.mergeWithHeap(bytes));
    }
  }
}
