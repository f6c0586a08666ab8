package io.flashtensors.llm.qwen3.cuda;

import io.flashtensors.cuda.Cuda;
import io.flashtensors.llm.generate.ForwardPass;
import io.flashtensors.llm.generate.Sampler;
import io.flashtensors.llm.generate.SamplingParams;
import io.flashtensors.llm.qwen3.Qwen3Config;
import io.flashtensors.load.Device;
import io.flashtensors.load.DeviceMap;
import io.flashtensors.load.gpu.GpuLoader;
import io.flashtensors.load.gpu.GpuLoaderOptions;
import io.flashtensors.load.gpu.GpuModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import tools.jackson.databind.json.JsonMapper;

/**
 * Benchmark of the CUDA engine on one model folder (run on the GPU machine by
 * scripts/bench/gpu-engine-bench.sh):
 *
 * <pre>
 *   java ... io.flashtensors.llm.qwen3.cuda.CudaBenchmark MODEL OUT.json [--prompt 1024]
 *       [--decode 256] [--precision FAST] [--cold-only]
 * </pre>
 *
 * <ol>
 *   <li>Cold start, measured from the process start: GPU load (loader streaming through a 256 MiB
 *       pinned ring), backend (kernel module, launch tuning), KV cache, prefill of a 16-token
 *       prompt, first token on the host.
 *   <li>Time to first token for a PROMPT-token prompt (prefill + GPU sampling + the id back),
 *       median of 5; prefill tokens/s = PROMPT / that.
 *   <li>Decode tokens/s over DECODE greedy tokens after a 16-token prompt, as the generation loop
 *       runs it (sample on the GPU, feed back one token, replay the captured step), median of 3;
 *       and the same after the PROMPT-token prompt.
 * </ol>
 */
public final class CudaBenchmark {

  private CudaBenchmark() {}

  public static void main(String[] args) throws Exception {
    // The launcher's clock reading (FT_PROCESS_START_NS, epoch ns) is exact; ProcessHandle's start
    // instant rests on the boot time, which Linux gives to the second.
    String given = System.getenv("FT_PROCESS_START_NS");
    long jvmStart =
        given != null
            ? Long.parseLong(given.strip()) / 1_000_000
            : ProcessHandle.current().info().startInstant().orElse(Instant.now()).toEpochMilli();
    Path model = Path.of(args[0]);
    Path out = Path.of(args[1]);
    List<String> rest = Arrays.asList(args).subList(2, args.length);
    int promptLen = intOption(rest, "--prompt", 1024);
    int decode = intOption(rest, "--decode", 256);
    CudaPrecision precision =
        CudaPrecision.valueOf(stringOption(rest, "--precision", "FAST").toUpperCase(Locale.ROOT));
    boolean coldOnly = rest.contains("--cold-only");
    Map<String, Object> res = new LinkedHashMap<>();
    res.put("engine", "flashtensors-cuda");
    res.put("model", model.toString());
    res.put("precision", precision.toString());

    long t0 = System.nanoTime();
    Qwen3Config config = Qwen3Config.read(model);
    GpuLoaderOptions options =
        GpuLoaderOptions.builder()
            .memPoolSize(256L << 20)
            .chunkSize(16L << 20)
            .threads(Math.max(4, Runtime.getRuntime().availableProcessors()))
            .build();
    try (GpuLoader loader = GpuLoader.create(options)) {
      long tPool = System.nanoTime();
      try (GpuModel weights = loader.load(model, DeviceMap.all(Device.cuda(0))).get()) {
        long tLoaded = System.nanoTime();
        try (CudaQwen3Backend backend =
            new CudaQwen3Backend(config, weights.tensors(), precision, true)) {
          long tBackend = System.nanoTime();
          int context = Math.min(config.maxPositionEmbeddings(), promptLen + decode + 16);
          try (ForwardPass pass = backend.newForwardPass(Math.max(context, 64))) {
            long tSequence = System.nanoTime();
            int[] shortPrompt =
                new Random(1).ints(16, 0, Math.min(config.vocabSize(), 151643)).toArray();
            pass.forward(shortPrompt, 0, shortPrompt.length);
            int first = pass.sample(new Sampler(SamplingParams.greedy(), config.vocabSize()));
            long tFirst = System.nanoTime();
            long nowMs = System.currentTimeMillis();
            double sinceJvm = (nowMs - jvmStart) / 1e3;
            Map<String, Object> cold = new LinkedHashMap<>();
            cold.put("process_start_to_first_token_seconds", sinceJvm);
            cold.put("jvm_start_to_main_seconds", sinceJvm - (tFirst - t0) / 1e9);
            cold.put("loader_pool_seconds", (tPool - t0) / 1e9);
            cold.put("gpu_load_seconds", (tLoaded - tPool) / 1e9);
            cold.put("backend_seconds", (tBackend - tLoaded) / 1e9);
            cold.put("kv_cache_seconds", (tSequence - tBackend) / 1e9);
            cold.put("first_token_seconds", (tFirst - tSequence) / 1e9);
            cold.put("first_token", first);
            cold.put("weight_bytes", weights.deviceBytes());
            res.put("cold_start", cold);
            res.put("gemv_plan", backend.model().planSummary());
            res.put("device", Cuda.device(0).name());
            if (!coldOnly) {
              warm(pass, config, promptLen, decode, res);
            }
          }
        }
      }
    }
    String json =
        JsonMapper.builder().build().writerWithDefaultPrettyPrinter().writeValueAsString(res);
    Files.writeString(out, json);
    System.out.println(json);
  }

  private static void warm(
      ForwardPass pass, Qwen3Config config, int promptLen, int decode, Map<String, Object> res) {
    int v = config.vocabSize();
    int[] prompt = new Random(0).ints(promptLen, 0, Math.min(v, 151643)).toArray();
    int[] shortPrompt = new Random(1).ints(16, 0, Math.min(v, 151643)).toArray();
    List<Double> ttft = new ArrayList<>();
    for (int rep = 0; rep < 6; rep++) {
      pass.truncate(0);
      long a = System.nanoTime();
      pass.forward(prompt, 0, prompt.length);
      pass.sample(new Sampler(SamplingParams.greedy(), v));
      long b = System.nanoTime();
      if (rep > 0) {
        ttft.add((b - a) / 1e9);
      }
    }
    double ttftMed = median(ttft);
    res.put("prompt_tokens", promptLen);
    res.put("ttft_seconds", stats(ttft));
    res.put("prefill_tokens_per_second", promptLen / ttftMed);
    res.put("decode_tokens", decode);
    res.put("decode_tokens_per_second", stats(decodeRuns(pass, shortPrompt, decode, v, 4)));
    res.put("decode_after_prompt_tokens_per_second", stats(decodeRuns(pass, prompt, decode, v, 2)));
  }

  /** Decode speed as the generation loop sees it: sample, feed back, replay; tokens/s per run. */
  private static List<Double> decodeRuns(
      ForwardPass pass, int[] prompt, int decode, int v, int runs) {
    List<Double> speeds = new ArrayList<>();
    int[] step = new int[1];
    for (int rep = 0; rep < runs; rep++) {
      pass.truncate(0);
      pass.forward(prompt, 0, prompt.length);
      Sampler sampler = new Sampler(SamplingParams.greedy(), v);
      step[0] = pass.sample(sampler);
      long a = System.nanoTime();
      for (int i = 1; i < decode; i++) {
        pass.forward(step, 0, 1);
        step[0] = pass.sample(sampler);
      }
      long b = System.nanoTime();
      if (rep > 0 || runs == 1) {
        speeds.add((decode - 1) / ((b - a) / 1e9));
      }
    }
    return speeds;
  }

  private static Map<String, Double> stats(List<Double> xs) {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("median", median(xs));
    m.put("min", xs.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN));
    m.put("max", xs.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN));
    return m;
  }

  private static double median(List<Double> xs) {
    double[] s = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return s.length == 0
        ? Double.NaN
        : s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static int intOption(List<String> args, String name, int fallback) {
    int i = args.indexOf(name);
    return i >= 0 ? Integer.parseInt(args.get(i + 1)) : fallback;
  }

  private static String stringOption(List<String> args, String name, String fallback) {
    int i = args.indexOf(name);
    return i >= 0 ? args.get(i + 1) : fallback;
  }
}
