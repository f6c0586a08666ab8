package io.flashtensors.llm.qwen3.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.flashtensors.bench.CheckpointGenerator;
import io.flashtensors.bench.ModelShape;
import io.flashtensors.cuda.Cuda;
import io.flashtensors.cuda.CudaContext;
import io.flashtensors.format.DType;
import io.flashtensors.format.Progress;
import io.flashtensors.llm.cpu.ParallelRunner;
import io.flashtensors.llm.generate.ForwardPass;
import io.flashtensors.llm.generate.Sampler;
import io.flashtensors.llm.generate.SamplingParams;
import io.flashtensors.llm.qwen3.Fixtures;
import io.flashtensors.llm.qwen3.Qwen3Config;
import io.flashtensors.llm.qwen3.Qwen3Weights;
import io.flashtensors.llm.qwen3.cpu.CpuQwen3Backend;
import io.flashtensors.load.Device;
import io.flashtensors.load.DeviceMap;
import io.flashtensors.load.FlashLoader;
import io.flashtensors.load.LoadedModel;
import io.flashtensors.load.gpu.GpuLoader;
import io.flashtensors.load.gpu.GpuLoaderOptions;
import io.flashtensors.load.gpu.GpuModel;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

/**
 * The CUDA backend against the CPU engine (which matches Hugging Face transformers) on the
 * committed tiny models and on a Qwen3-0.6B-shaped random checkpoint loaded by the GPU loader:
 *
 * <ul>
 *   <li>logits of every prompt position (tensor-core prefill) and of 32 decode steps (the captured
 *       CUDA graph): relative error (L2 over the vocabulary) at most 1e-3 in {@link
 *       CudaPrecision#EXACT} and 1e-2 in {@link CudaPrecision#FAST};
 *   <li>greedy tokens chosen on the GPU identical to the CPU engine's for 32 steps (EXACT);
 *   <li>the GPU sampler choosing the same tokens as the CPU {@link Sampler} with the same seed.
 * </ul>
 */
@Tag("gpu")
class CudaQwen3ParityGpuTest {

  static final int STEPS = 32;
  static final double EXACT_TOLERANCE = 1e-3;
  static final double FAST_TOLERANCE = 1e-2;

  /**
   * FAST rounds the prompt's activations to bf16 before the tensor-core GEMMs. On the toy fixtures
   * (hidden 32 to 64, so no averaging over thousands of terms) that alone moves prompt logits by up
   * to 2.3e-2 relative (measured on the H100: rope-yarn-v4 2.26e-2, gqa2-headdim8 1.07e-2,
   * mha-untied 1.04e-2; the others under 1e-2); at Qwen3 widths it stays under 1e-2 (0.6B shape:
   * 6.7e-3 against transformers in float32). Decode (float32 activations, bf16 KV cache) stays
   * under 1e-2 on every fixture. EXACT is the parity mode: 1e-3 everywhere.
   */
  static final double FAST_TOY_PROMPT_TOLERANCE = 3e-2;

  private static CudaContext ctx;

  @BeforeAll
  static void needsCuda() {
    assumeTrue(Cuda.isAvailable(), () -> "GPU tests skipped: " + Cuda.availability().reason());
    ctx = Cuda.device(0).context();
  }

  /** A runner for one CPU backend (the backend owns it and closes it). */
  static ParallelRunner runner() {
    return new ParallelRunner(Runtime.getRuntime().availableProcessors(), 0);
  }

  static Stream<Arguments> fixtures() {
    List<Arguments> args = new ArrayList<>();
    for (Path model : Fixtures.parityModels()) {
      for (CudaPrecision p : CudaPrecision.values()) {
        args.add(Arguments.of(model.getFileName().toString(), p));
      }
    }
    return args.stream();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("fixtures")
  void tinyModelsMatchTheCpuEngine(String name, CudaPrecision precision) {
    Path dir = Fixtures.root().resolve("qwen3-parity").resolve(name);
    Qwen3Config config = Qwen3Config.read(dir);
    JsonNode reference = Fixtures.json(dir.resolve("reference.json"));
    boolean exact = precision == CudaPrecision.EXACT;
    double promptTol = exact ? EXACT_TOLERANCE : FAST_TOY_PROMPT_TOLERANCE;
    double decodeTol = exact ? EXACT_TOLERANCE : FAST_TOLERANCE;
    try (Arena arena = Arena.ofShared();
        DeviceUpload upload =
            DeviceUpload.of(
                ctx, Fixtures.readSafetensors(dir.resolve("model.safetensors"), arena));
        CpuQwen3Backend cpu =
            new CpuQwen3Backend(
                config, Qwen3Weights.bind(config, upload.host(), name), runner(), 32);
        CudaQwen3Backend gpu = new CudaQwen3Backend(config, upload.tensors(), precision, true)) {
      for (JsonNode prompt : reference.get("prompts")) {
        int[] ids = Fixtures.ints(prompt.get("input_ids"));
        compare(
            name + " " + precision + " prompt of " + ids.length,
            cpu,
            gpu,
            config,
            ids,
            promptTol,
            decodeTol,
            exact);
      }
    }
  }

  /** Prompt logits, then STEPS greedy steps chosen on each device, compared step by step. */
  static void compare(
      String what,
      CpuQwen3Backend cpu,
      CudaQwen3Backend gpu,
      Qwen3Config config,
      int[] ids,
      double promptTol,
      double decodeTol,
      boolean tokensMustMatch) {
    int v = config.vocabSize();
    int context = ids.length + STEPS + 1;
    try (ForwardPass c = cpu.newForwardPass(context);
        ForwardPass g = gpu.newForwardPass(context)) {
      float[] want = new float[ids.length * v];
      float[] got = new float[ids.length * v];
      c.forwardAllLogits(ids, 0, ids.length, want);
      g.forwardAllLogits(ids, 0, ids.length, got);
      double promptError = worstRelativeError(got, want, v);
      assertThat(promptError)
          .as("%s: logits of every prompt position", what)
          .isLessThanOrEqualTo(promptTol);
      Sampler cs = new Sampler(SamplingParams.greedy(), v);
      Sampler gs = new Sampler(SamplingParams.greedy(), v);
      int[] step = new int[1];
      List<Integer> cpuTokens = new ArrayList<>();
      List<Integer> gpuTokens = new ArrayList<>();
      double worst = 0;
      for (int i = 0; i < STEPS; i++) {
        int ct = c.sample(cs);
        int gt = g.sample(gs);
        cpuTokens.add(ct);
        gpuTokens.add(gt);
        step[0] = ct; // both continue with the CPU's token, so logits stay comparable
        c.forward(step, 0, 1);
        g.forward(step, 0, 1);
        worst = Math.max(worst, relativeError(g.logits(), c.logits(), 0, v));
      }
      assertThat(worst)
          .as("%s: logits of %d decode steps", what, STEPS)
          .isLessThanOrEqualTo(decodeTol);
      int same = 0;
      for (int i = 0; i < STEPS; i++) {
        same += gpuTokens.get(i).equals(cpuTokens.get(i)) ? 1 : 0;
      }
      System.out.printf(
          "%s: prompt logits error %.2e, worst decode error %.2e, %d/%d greedy tokens as the"
              + " CPU%n",
          what, promptError, worst, same, STEPS);
      if (tokensMustMatch) {
        assertThat(gpuTokens).as("%s: greedy tokens", what).isEqualTo(cpuTokens);
      }
    }
  }

  @Test
  void qwen3SixHundredMillionShapeLoadedByTheGpuLoaderMatchesTheCpuEngine(@TempDir Path tmp)
      throws Exception {
    Path dir = tmp.resolve("qwen3-0.6b");
    new CheckpointGenerator(ModelShape.named("qwen3-0.6b"), DType.BF16, 1L << 30, 7)
        .write(dir, Progress.NONE);
    Qwen3Config config = Qwen3Config.read(dir);
    int[] prompt = new Random(3).ints(24, 0, 151643).toArray();
    GpuLoaderOptions options =
        GpuLoaderOptions.builder().memPoolSize(512L << 20).chunkSize(32L << 20).build();
    try (GpuLoader loader = GpuLoader.create(options);
        GpuModel onGpu = loader.load(dir, DeviceMap.all(Device.cuda(0))).get();
        LoadedModel onHost = FlashLoader.create().load(dir);
        CpuQwen3Backend cpu =
            new CpuQwen3Backend(
                config, Qwen3Weights.bind(config, onHost.tensors(), "0.6b"), runner(), 32)) {
      for (CudaPrecision p : CudaPrecision.values()) {
        try (CudaQwen3Backend gpu = new CudaQwen3Backend(config, onGpu.tensors(), p, true)) {
          // Random weights give near-flat logits over 151,936 ids: a float32 rounding may swap two
          // almost equal tokens, so only the logits are held to the bound here (token identity is
          // asserted on the tiny fixtures, whose greedy margins were checked).
          compare(
              "qwen3-0.6b " + p,
              cpu,
              gpu,
              config,
              prompt,
              p == CudaPrecision.EXACT ? EXACT_TOLERANCE : FAST_TOLERANCE,
              p == CudaPrecision.EXACT ? EXACT_TOLERANCE : FAST_TOLERANCE,
              false);
          if (p == CudaPrecision.FAST) {
            samplerMatchesTheCpuSampler(gpu, prompt);
          }
        }
      }
    }
  }

  /**
   * The GPU sampler against the CPU Sampler on the 0.6B model's real logits (151,936 of them),
   * sharpened and flattened, for the settings that matter: Qwen3's defaults, top-k alone, top-p
   * alone (the large path), min-p, penalties. Same seed, same tokens.
   */
  static void samplerMatchesTheCpuSampler(CudaQwen3Backend gpu, int[] prompt) {
    int v = gpu.config().vocabSize();
    List<SamplingParams> settings =
        List.of(
            new SamplingParams(0.6, 20, 0.95, 0, 0, 0, 11),
            new SamplingParams(0.7, 20, 0.8, 0, 0, 0, 12),
            new SamplingParams(1.0, 50, 1.0, 0.05, 0, 0, 13),
            new SamplingParams(0.5, 1000, 0.9, 0.01, 0, 0, 14),
            new SamplingParams(1.3, 5, 0.5, 0, 0.4, 0.2, 15),
            new SamplingParams(0, 0, 1.0, 0, 1.5, 0.5, 16),
            new SamplingParams(1.0, 0, 1.0, 0, 0, 0, 17),
            new SamplingParams(0.8, 0, 0.9, 0, 0, 0, 18),
            new SamplingParams(0.9, 0, 1.0, 0.1, 0, 0, 19));
    try (CudaQwen3ForwardPass pass = (CudaQwen3ForwardPass) gpu.newForwardPass(prompt.length + 1)) {
      pass.forward(prompt, 0, prompt.length);
      float[] base = pass.logits().clone();
      int exactTotal = 0;
      int exactAgree = 0;
      int largeTotal = 0;
      int largeAgree = 0;
      for (SamplingParams params : settings) {
        for (double sharpen : new double[] {1, 30, 300}) {
          float[] logits = new float[v];
          for (int i = 0; i < v; i++) {
            logits[i] = (float) (base[i] * sharpen);
          }
          // Qwen3's embedding has 267 padding rows past the tokenizer's 151,669 ids: mask them in
          // half of the cases.
          int sampleable = sharpen == 30 ? 151669 : v;
          Sampler cpuSampler = new Sampler(params, v, sampleable);
          Sampler gpuSampler = new Sampler(params, v, sampleable);
          for (int draw = 0; draw < 12; draw++) {
            int want = cpuSampler.sample(logits);
            pass.sequence().setLogits(logits);
            int got = pass.sample(gpuSampler);
            cpuSampler.accept(want);
            gpuSampler.accept(got);
            boolean exactPath = params.isGreedy() || (params.topK() > 0 && params.topK() <= 1024);
            if (exactPath) {
              exactTotal++;
              exactAgree += want == got ? 1 : 0;
              assertThat(got)
                  .as("GPU sampler vs CPU, %s sharpen %s draw %d", params, sharpen, draw)
                  .isEqualTo(want);
            } else {
              largeTotal++;
              largeAgree += want == got ? 1 : 0;
            }
            if (want != got) {
              break; // the streams diverge from here on
            }
          }
        }
      }
      System.out.printf(
          "GPU sampler: %d/%d identical on the exact path, %d/%d on the large path%n",
          exactAgree, exactTotal, largeAgree, largeTotal);
      assertThat(largeAgree).as("large-path agreement").isGreaterThanOrEqualTo(largeTotal * 9 / 10);
    }
  }

  @Test
  void aKvCacheThatDoesNotFitFailsWithTheNumbersAndReleasesWhatItTook() {
    Path dir = Fixtures.root().resolve("qwen3-parity/gqa2-tied-theta1e6-v4");
    Qwen3Config config = Qwen3Config.read(dir);
    try (Arena arena = Arena.ofShared();
        DeviceUpload upload =
            DeviceUpload.of(
                ctx, Fixtures.readSafetensors(dir.resolve("model.safetensors"), arena));
        CudaQwen3Backend gpu =
            new CudaQwen3Backend(config, upload.tensors(), CudaPrecision.EXACT, false)) {
      long before = ctx.memoryInfo().free();
      // 2 layers x 2 x 2 kv heads x 16 dims x 4 bytes = 512 bytes a token: 2^31-1 tokens is 1 TiB.
      assertThatThrownBy(() -> gpu.newForwardPass(Integer.MAX_VALUE))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("KV cache for a context of 2147483647 tokens")
          .hasMessageContaining("GiB free");
      assertThat(ctx.memoryInfo().free()).isGreaterThanOrEqualTo(before - (8L << 20));
      try (ForwardPass pass = gpu.newForwardPass(8)) {
        assertThatThrownBy(() -> pass.forward(new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 0, 9))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("context of 8 tokens is full");
        assertThatThrownBy(() -> pass.forward(new int[] {config.vocabSize()}, 0, 1))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("outside the vocabulary");
        pass.forward(new int[] {1, 2, 3}, 0, 3);
        assertThat(pass.position()).isEqualTo(3);
      }
    }
  }

  @Test
  void decodeGraphReplaysGiveTheSameLogitsAsThePromptPath() {
    Path dir = Fixtures.root().resolve("qwen3-parity/mha-untied-theta1e4-v5");
    Qwen3Config config = Qwen3Config.read(dir);
    int v = config.vocabSize();
    int[] ids = new Random(5).ints(20, 0, v).toArray();
    try (Arena arena = Arena.ofShared();
        DeviceUpload upload =
            DeviceUpload.of(
                ctx, Fixtures.readSafetensors(dir.resolve("model.safetensors"), arena));
        CudaQwen3Backend gpu =
            new CudaQwen3Backend(config, upload.tensors(), CudaPrecision.EXACT, true);
        ForwardPass stepwise = gpu.newForwardPass(32);
        ForwardPass batched = gpu.newForwardPass(32)) {
      float[] all = new float[ids.length * v];
      batched.forwardAllLogits(ids, 0, ids.length, all);
      stepwise.forward(ids, 0, 1);
      for (int i = 1; i < ids.length; i++) {
        stepwise.forward(ids, i, 1); // replays of one captured graph
        assertThat(relativeError(stepwise.logits(), all, i * v, v))
            .as("position %d", i)
            .isLessThanOrEqualTo(1e-4);
      }
    }
  }

  static double worstRelativeError(float[] got, float[] want, int v) {
    double worst = 0;
    for (int at = 0; at < want.length; at += v) {
      worst = Math.max(worst, relativeError(got, at, want, at, v));
    }
    return worst;
  }

  static double relativeError(float[] got, float[] want, int wantAt, int v) {
    return relativeError(got, 0, want, wantAt, v);
  }

  static double relativeError(float[] got, int gotAt, float[] want, int wantAt, int v) {
    double diff = 0;
    double norm = 0;
    for (int i = 0; i < v; i++) {
      double d = (double) got[gotAt + i] - want[wantAt + i];
      diff += d * d;
      norm += (double) want[wantAt + i] * want[wantAt + i];
    }
    double e = Math.sqrt(diff / Math.max(norm, 1e-300));
    return Double.isNaN(e) ? Double.POSITIVE_INFINITY : e;
  }
}
