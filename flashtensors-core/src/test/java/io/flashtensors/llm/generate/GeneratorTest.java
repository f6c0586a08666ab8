package io.flashtensors.llm.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flashtensors.llm.FinishReason;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GeneratorTest {

  /** A model that always predicts "the token after the last one" (mod vocab), greedily. */
  static final class CountingPass implements ForwardPass {
    final int vocab;
    final int context;
    final float[] logits;
    int position;
    final List<Integer> fed = new ArrayList<>();

    CountingPass(int vocab, int context) {
      this.vocab = vocab;
      this.context = context;
      this.logits = new float[vocab];
    }

    @Override
    public int vocabSize() {
      return vocab;
    }

    @Override
    public int contextLength() {
      return context;
    }

    @Override
    public int position() {
      return position;
    }

    @Override
    public void forward(int[] tokens, int offset, int length) {
      if (position + length > context) {
        throw new IllegalStateException("overflow");
      }
      for (int i = offset; i < offset + length; i++) {
        fed.add(tokens[i]);
      }
      position += length;
      java.util.Arrays.fill(logits, 0);
      logits[(tokens[offset + length - 1] + 1) % vocab] = 10;
    }

    @Override
    public void forwardAllLogits(int[] tokens, int offset, int length, float[] out) {
      throw new UnsupportedOperationException();
    }

    @Override
    public float[] logits() {
      return logits;
    }

    @Override
    public void truncate(int p) {
      position = p;
    }

    @Override
    public void close() {}
  }

  /** Token i decodes to the letter 'a' + i. */
  static final class LetterDecoder implements IncrementalDecoder {
    @Override
    public String push(int tokenId) {
      return String.valueOf((char) ('a' + tokenId));
    }

    @Override
    public String finish() {
      return "";
    }
  }

  private static GenerationRequest request(
      int[] prompt, int max, Set<Integer> stopIds, List<String> stops) {
    return new GenerationRequest(
        prompt, SamplingParams.greedy(), max, stopIds, stops, Integer.MAX_VALUE);
  }

  @Test
  void stopsAtAStopTokenThatStaysInTheIdsButNotTheText() {
    CountingPass pass = new CountingPass(26, 64);
    GenerationResult r =
        Generator.generate(
            pass,
            new LetterDecoder(),
            request(new int[] {0}, 20, Set.of(4), List.of()),
            GenerationListener.none());
    assertThat(r.outputIds()).containsExactly(1, 2, 3, 4);
    assertThat(r.text()).isEqualTo("bcd");
    assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
    assertThat(r.promptTokens()).isEqualTo(1);
    assertThat(r.completionTokens()).isEqualTo(4);
    // the stop token is never fed back
    assertThat(pass.fed).containsExactly(0, 1, 2, 3);
  }

  @Test
  void stopSequenceEndsGenerationAndIsNotStreamed() {
    List<String> streamed = new ArrayList<>();
    GenerationResult r =
        Generator.generate(
            new CountingPass(26, 64),
            new LetterDecoder(),
            request(new int[] {0}, 20, Set.of(), List.of("def", "xyz")),
            (id, text) -> streamed.add(text));
    assertThat(r.text()).isEqualTo("bc");
    assertThat(String.join("", streamed)).isEqualTo("bc");
    // "d" was held back while it could still start "def"
    assertThat(streamed).containsExactly("b", "c", "", "", "");
    assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
    assertThat(r.outputIds()).containsExactly(1, 2, 3, 4, 5);
  }

  @Test
  void heldBackTextIsReleasedWhenTheLimitEndsGeneration() {
    List<String> streamed = new ArrayList<>();
    GenerationResult r =
        Generator.generate(
            new CountingPass(26, 64),
            new LetterDecoder(),
            request(new int[] {0}, 3, Set.of(), List.of("dq")),
            (id, text) -> streamed.add(id + ":" + text));
    assertThat(r.text()).isEqualTo("bcd");
    assertThat(streamed).containsExactly("1:b", "2:c", "3:", "-1:d");
    assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
  }

  @Test
  void theListenerCanCancel() {
    GenerationResult r =
        Generator.generate(
            new CountingPass(26, 64),
            new LetterDecoder(),
            request(new int[] {0}, 20, Set.of(), List.of()),
            (id, text) -> id < 3);
    assertThat(r.outputIds()).containsExactly(1, 2, 3);
    assertThat(r.finishReason()).isEqualTo(FinishReason.CANCELLED);
  }

  @Test
  void theContextLengthLimitsPromptPlusOutput() {
    CountingPass pass = new CountingPass(26, 8);
    GenerationResult r =
        Generator.generate(
            pass,
            null,
            request(new int[] {0, 1, 2}, 100, Set.of(), List.of()),
            GenerationListener.none());
    assertThat(r.completionTokens()).isEqualTo(5);
    assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
    assertThat(r.text()).isEmpty();
    assertThat(pass.position()).isEqualTo(7);
  }

  @Test
  void refusesPromptsThatFillTheContextAndStopTextsWithoutDecoder() {
    assertThatThrownBy(
            () ->
                Generator.generate(
                    new CountingPass(26, 3),
                    null,
                    request(new int[] {0, 1, 2}, 5, Set.of(), List.of()),
                    GenerationListener.none()))
        .hasMessageContaining("leaves no room");
    assertThatThrownBy(
            () ->
                Generator.generate(
                    new CountingPass(26, 30),
                    null,
                    request(new int[] {0}, 5, Set.of(), List.of("x")),
                    GenerationListener.none()))
        .hasMessageContaining("need a tokenizer");
  }

  @Test
  void keepsThePromptsLastLogits() {
    GenerationResult r =
        Generator.generate(
            new CountingPass(26, 30),
            null,
            request(new int[] {5}, 1, Set.of(), List.of()),
            GenerationListener.none());
    assertThat(r.promptLastLogits()[6]).isEqualTo(10f);
    assertThat(r.outputIds()).containsExactly(6);
  }
}
