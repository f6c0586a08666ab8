package io.flashtensors.llm.qwen3.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashtensors.format.DType;
import io.flashtensors.llm.cpu.ParallelRunner;
import io.flashtensors.llm.generate.ForwardPass;
import io.flashtensors.llm.qwen3.Fixtures;
import io.flashtensors.llm.qwen3.Qwen3Config;
import io.flashtensors.llm.qwen3.Qwen3Weights;
import io.flashtensors.llm.qwen3.Rope;
import io.flashtensors.memory.Tensor;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

/**
 * The CPU engine against Hugging Face transformers on the committed tiny models: float32 logits of
 * every prompt position within 1e-3 of the largest reference logit at that position, and greedy
 * continuations identical token for token. Each model runs with several prefill blocks (1: token by
 * token; 4; 32) so both the decode and the batched prefill paths are checked, and every loop is
 * split over two threads.
 */
class CpuQwen3ParityTest {

  /** Allowed error: {@code max |java - hf| <= TOLERANCE * max |hf|} at each position. */
  static final double TOLERANCE = 1e-3;

  static Stream<Arguments> cases() {
    List<Arguments> args = new ArrayList<>();
    for (Path model : Fixtures.parityModels()) {
      for (int block : new int[] {1, 4, 32}) {
        args.add(Arguments.of(model.getFileName().toString(), block));
      }
    }
    return args.stream();
  }

  @ParameterizedTest(name = "{0} prefill block {1}")
  @MethodSource("cases")
  void logitsAndGreedyTokensMatchTransformers(String name, int block) {
    Path dir = Fixtures.root().resolve("qwen3-parity").resolve(name);
    Qwen3Config config = Qwen3Config.read(dir);
    JsonNode reference = Fixtures.json(dir.resolve("reference.json"));
    try (Arena arena = Arena.ofShared()) {
      Map<String, Tensor> tensors =
          Fixtures.readSafetensors(dir.resolve("model.safetensors"), arena);
      Map<String, Tensor> expected =
          Fixtures.readSafetensors(dir.resolve("reference.safetensors"), arena);
      Qwen3Weights weights = Qwen3Weights.bind(config, tensors, name);
      try (CpuQwen3Backend backend =
          new CpuQwen3Backend(config, weights, new ParallelRunner(2, 0), block)) {
        for (JsonNode prompt : reference.get("prompts")) {
          int[] ids = Fixtures.ints(prompt.get("input_ids"));
          float[] want = Fixtures.floats(expected.get(prompt.get("logits_tensor").asString()));
          try (ForwardPass pass = backend.newForwardPass(128)) {
            float[] got = new float[ids.length * config.vocabSize()];
            pass.forwardAllLogits(ids, 0, ids.length, got);
            assertClose(got, want, config.vocabSize(), name + " prompt of " + ids.length);

            int[] greedy = Fixtures.ints(prompt.get("greedy_ids"));
            int[] produced = new int[greedy.length];
            int[] step = new int[1];
            for (int i = 0; i < greedy.length; i++) {
              produced[i] = argmax(pass.logits());
              step[0] = produced[i];
              pass.forward(step, 0, 1);
            }
            assertThat(produced)
                .as("%s greedy after %d tokens", name, ids.length)
                .isEqualTo(greedy);
          }
        }
      }
    }
  }

  @Test
  void f32WeightsMatchTransformersAndF16WeightsAreWidenedExactly() {
    Path dir = Fixtures.root().resolve("qwen3-parity/mha-untied-theta1e4-v5");
    Qwen3Config config = Qwen3Config.read(dir);
    JsonNode prompt = Fixtures.json(dir.resolve("reference.json")).get("prompts").get(1);
    int[] ids = Fixtures.ints(prompt.get("input_ids"));
    try (Arena arena = Arena.ofShared()) {
      Map<String, Tensor> bf16 = Fixtures.readSafetensors(dir.resolve("model.safetensors"), arena);
      float[] want =
          Fixtures.floats(
              Fixtures.readSafetensors(dir.resolve("reference.safetensors"), arena)
                  .get(prompt.get("logits_tensor").asString()));
      Map<String, Tensor> f32 = Fixtures.convert(bf16, DType.F32, arena);
      assertClose(allLogits(config, f32, ids), want, config.vocabSize(), "F32 weights");

      // F16 cannot hold every bf16 value, so compare F16 weights with F32 copies of the same
      // values.
      Map<String, Tensor> f16 = Fixtures.convert(bf16, DType.F16, arena);
      Map<String, Tensor> f32OfF16 = new java.util.LinkedHashMap<>();
      for (Tensor t : f16.values()) {
        java.lang.foreign.MemorySegment seg = arena.allocate(t.numel() * 4, 64);
        for (long i = 0; i < t.numel(); i++) {
          seg.setAtIndex(
              Fixtures.FLOAT_LE,
              i,
              Float.float16ToFloat(t.data().getAtIndex(Fixtures.SHORT_LE, i)));
        }
        f32OfF16.put(t.name(), new Tensor(t.name(), DType.F32, t.shape(), seg));
      }
      // Bit for bit: the same float32 values go through the same kernels, and the engine's sums
      // have one fixed order whatever the thread count, the schedule or the JIT tier.
      assertThat(allLogits(config, f16, ids)).isEqualTo(allLogits(config, f32OfF16, ids));
    }
  }

  @Test
  void truncatingTheCacheAndRunningAgainGivesTheSameLogits() {
    Path dir = Fixtures.root().resolve("qwen3-parity/gqa2-tied-theta1e6-v4");
    Qwen3Config config = Qwen3Config.read(dir);
    int[] ids =
        Fixtures.ints(
            Fixtures.json(dir.resolve("reference.json")).get("prompts").get(2).get("input_ids"));
    try (Arena arena = Arena.ofShared();
        CpuQwen3Backend backend =
            new CpuQwen3Backend(
                config,
                Qwen3Weights.bind(
                    config, Fixtures.readSafetensors(dir.resolve("model.safetensors"), arena), "t"),
                new ParallelRunner(2, 0),
                8);
        ForwardPass pass = backend.newForwardPass(ids.length)) {
      pass.forward(ids, 0, ids.length);
      float[] first = pass.logits().clone();
      pass.truncate(5);
      assertThat(pass.position()).isEqualTo(5);
      pass.forward(new int[] {1, 2, 3}, 0, 3); // overwrite some positions with other tokens
      pass.truncate(5);
      pass.forward(ids, 5, ids.length - 5);
      // same values; other block boundaries only change float summation order
      double max = 0;
      double err = 0;
      for (int i = 0; i < first.length; i++) {
        max = Math.max(max, Math.abs(first[i]));
        err = Math.max(err, Math.abs(first[i] - pass.logits()[i]));
      }
      assertThat(err).isLessThan(1e-5 * max);
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> pass.forward(new int[] {1}, 0, 1))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("exceed the context length " + ids.length);
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> pass.truncate(ids.length + 1))
          .hasMessageContaining("cannot truncate");
    }
  }

  @Test
  void logitsShouldBeTheSameBitsWhateverTheThreadCountAndRun() {
    Path dir = Fixtures.root().resolve("qwen3-parity/gqa2-tied-theta1e6-v4");
    Qwen3Config config = Qwen3Config.read(dir);
    int[] ids =
        Fixtures.ints(
            Fixtures.json(dir.resolve("reference.json")).get("prompts").get(2).get("input_ids"));
    try (Arena arena = Arena.ofShared()) {
      Map<String, Tensor> tensors =
          Fixtures.readSafetensors(dir.resolve("model.safetensors"), arena);
      float[] oneThread = allLogits(config, tensors, ids, new ParallelRunner(1));
      for (int threads : new int[] {2, 3, 5}) {
        for (int run = 0; run < 3; run++) {
          assertThat(allLogits(config, tensors, ids, new ParallelRunner(threads, 0)))
              .as("%d threads, run %d", threads, run)
              .isEqualTo(oneThread);
        }
      }
    }
  }

  private static float[] allLogits(Qwen3Config config, Map<String, Tensor> tensors, int[] ids) {
    return allLogits(config, tensors, ids, new ParallelRunner(2, 0));
  }

  private static float[] allLogits(
      Qwen3Config config, Map<String, Tensor> tensors, int[] ids, ParallelRunner runner) {
    Qwen3Weights weights = Qwen3Weights.bind(config, tensors, "converted");
    try (CpuQwen3Backend backend = new CpuQwen3Backend(config, weights, runner, 4);
        ForwardPass pass = backend.newForwardPass(64)) {
      float[] out = new float[ids.length * config.vocabSize()];
      pass.forwardAllLogits(ids, 0, ids.length, out);
      return out;
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void ropeFrequenciesMatchTransformers(String name) {
    Path dir = Fixtures.root().resolve("qwen3-parity").resolve(name);
    JsonNode rope = Fixtures.json(dir.resolve("reference.json")).get("rope");
    Rope ours = new Rope(Qwen3Config.read(dir));
    float[] invFreq = ours.invFreq();
    assertThat(invFreq).hasSize(rope.get("inv_freq").size());
    for (int i = 0; i < invFreq.length; i++) {
      double want = rope.get("inv_freq").get(i).asDouble();
      assertThat((double) invFreq[i])
          .as("inv_freq[%d]", i)
          .isCloseTo(want, org.assertj.core.data.Percentage.withPercentage(1e-4));
    }
    assertThat((double) ours.attentionScaling())
        .isCloseTo(
            rope.get("attention_scaling").asDouble(), org.assertj.core.data.Offset.offset(1e-6));
  }

  static Stream<String> models() {
    return Fixtures.parityModels().stream().map(p -> p.getFileName().toString());
  }

  static void assertClose(float[] got, float[] want, int vocab, String what) {
    assertThat(got.length).isEqualTo(want.length);
    for (int p = 0; p < want.length / vocab; p++) {
      double maxRef = 0;
      double maxErr = 0;
      for (int i = p * vocab; i < (p + 1) * vocab; i++) {
        maxRef = Math.max(maxRef, Math.abs(want[i]));
        maxErr = Math.max(maxErr, Math.abs(got[i] - want[i]));
      }
      assertThat(maxErr)
          .as("%s: max error at position %d (max |logit| %.3f)", what, p, maxRef)
          .isLessThanOrEqualTo(TOLERANCE * maxRef);
    }
  }

  static int argmax(float[] logits) {
    int best = 0;
    for (int i = 1; i < logits.length; i++) {
      if (logits[i] > logits[best]) {
        best = i;
      }
    }
    return best;
  }
}
