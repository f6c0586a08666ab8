package io.flashtensors.bench;

import io.flashtensors.llm.cpu.ParallelRunner;
import io.flashtensors.llm.generate.ForwardPass;
import io.flashtensors.llm.qwen3.Qwen3Model;
import io.flashtensors.llm.qwen3.Qwen3Weights;
import io.flashtensors.llm.qwen3.cpu.CpuQwen3Backend;
import io.flashtensors.load.FlashLoader;
import io.flashtensors.memory.Tensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * CPU decode speed of the Qwen3 engine beside the memory-bandwidth bound measured in the same run.
 *
 * <p>Usage: {@code CpuDecodeBenchmark MODEL [--threads N] [--prompt N] [--tokens N] [--runs N]
 * [--out FILE.json]}. For each run it prefills a random prompt, then decodes greedily, feeding each
 * token back. The bound is the speed of a plain multi-threaded read of the bytes one decode step
 * streams (every layer's weights, the final norm and the LM head); one such read follows every
 * decode step, and decode steps and reads are timed apart, so both see the same machine load.
 */
public final class CpuDecodeBenchmark {

  private CpuDecodeBenchmark() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 1) {
      System.err.println(
          "usage: CpuDecodeBenchmark MODEL [--threads N] [--prompt N] [--tokens N] [--runs N] [--out FILE]");
      System.exit(2);
    }
    Path modelPath = Path.of(args[0]);
    int threads = Runtime.getRuntime().availableProcessors();
    int promptTokens = 16;
    int decodeTokens = 64;
    int runs = 5;
    Path out = null;
    for (int i = 1; i < args.length; i += 2) {
      String value = args[i + 1];
      switch (args[i]) {
        case "--threads" -> threads = Integer.parseInt(value);
        case "--prompt" -> promptTokens = Integer.parseInt(value);
        case "--tokens" -> decodeTokens = Integer.parseInt(value);
        case "--runs" -> runs = Integer.parseInt(value);
        case "--out" -> out = Path.of(value);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }

    JsonMapper json = JsonMapper.builder().build();
    ObjectNode report = json.createObjectNode();
    report.put("benchmark", "cpu-decode");
    report.put("model", modelPath.toString());
    report.put("threads", threads);
    report.put("prompt_tokens", promptTokens);
    report.put("decode_tokens", decodeTokens);
    report.put("java", Runtime.version().toString());
    report.put("cpu", cpuName());
    report.put("load_average_before", loadAverage());

    try (Qwen3Model model = Qwen3Model.load(modelPath, FlashLoader.create());
        ParallelRunner runner = new ParallelRunner(threads);
        CpuQwen3Backend backend =
            new CpuQwen3Backend(
                model.config(), model.weights(), runner, CpuQwen3Backend.DEFAULT_PREFILL_BLOCK)) {
      report.put("load_seconds", model.loadSeconds());
      List<MemorySegment> streamed = streamedPerToken(model.weights());
      long bytesPerToken = streamed.stream().mapToLong(MemorySegment::byteSize).sum();
      report.put("bytes_per_token", bytesPerToken);

      // Decode steps and plain reads of the same bytes alternate, one read after each step, so
      // that both see the same machine load (this machine is shared); each is timed on its own.
      bandwidth(streamed, runner, 2); // warms the read kernel up
      SplittableRandom random = new SplittableRandom(42);
      double[] tokensPerSecond = new double[runs];
      double[] prefillSeconds = new double[runs];
      double[] allBandwidth = new double[runs];
      double[] fractions = new double[runs];
      long sink = 0;
      for (int run = -1; run < runs; run++) { // run -1 warms the JIT up
        int[] prompt = random.ints(promptTokens, 0, model.config().vocabSize()).toArray();
        try (ForwardPass pass = backend.newForwardPass(promptTokens + decodeTokens + 1)) {
          long t0 = System.nanoTime();
          pass.forward(prompt, 0, prompt.length);
          long prefill = System.nanoTime() - t0;
          int[] step = {argmax(pass.logits())};
          long decodeNanos = 0;
          long readNanos = 0;
          for (int i = 0; i < decodeTokens; i++) {
            long s0 = System.nanoTime();
            pass.forward(step, 0, 1);
            step[0] = argmax(pass.logits());
            long s1 = System.nanoTime();
            sink ^= MemoryBandwidth.read(streamed, runner);
            long s2 = System.nanoTime();
            decodeNanos += s1 - s0;
            readNanos += s2 - s1;
          }
          double tps = decodeTokens / (decodeNanos / 1e9);
          double gbps = (double) bytesPerToken * decodeTokens / readNanos;
          double runBound = gbps * 1e9 / bytesPerToken;
          if (run >= 0) {
            prefillSeconds[run] = prefill / 1e9;
            tokensPerSecond[run] = tps;
            allBandwidth[run] = gbps;
            fractions[run] = tps / runBound;
          }
          System.err.printf(
              Locale.ROOT,
              "run %d: prefill %d tokens %.3f s, decode %.2f tokens/s, read %.2f GB/s (bound %.2f tokens/s): %.0f%%%n",
              run,
              promptTokens,
              prefill / 1e9,
              tps,
              gbps,
              runBound,
              100 * tps / runBound);
        }
      }
      if (sink == 42) {
        System.err.println(); // keeps the reads' checksum alive
      }

      double decode = median(tokensPerSecond);
      double gbps = median(allBandwidth);
      double bound = gbps * 1e9 / bytesPerToken;
      putStats(report.putObject("decode_tokens_per_second"), tokensPerSecond);
      putStats(report.putObject("read_gigabytes_per_second"), allBandwidth);
      putStats(report.putObject("prefill_seconds"), prefillSeconds);
      putStats(report.putObject("fraction_of_bound_per_run"), fractions);
      report.put("bound_tokens_per_second", bound);
      report.put("fraction_of_bound", decode / bound);
      report.put("effective_gigabytes_per_second", decode * bytesPerToken / 1e9);
      report.put("load_average_after", loadAverage());
      System.err.printf(
          Locale.ROOT,
          "decode %.2f tokens/s (median of %d), read %.2f GB/s -> bound %.2f tokens/s at %.3f GB/token: %.0f%%%n",
          decode,
          runs,
          gbps,
          bound,
          bytesPerToken / 1e9,
          100 * decode / bound);
    }
    String text = json.writerWithDefaultPrettyPrinter().writeValueAsString(report);
    System.out.println(text);
    if (out != null) {
      Files.writeString(out, text + "\n");
    }
  }

  /** The weights one decode step reads in full (the embedding row it looks up is left out). */
  static List<MemorySegment> streamedPerToken(Qwen3Weights w) {
    List<MemorySegment> segments = new ArrayList<>();
    for (Qwen3Weights.Layer l : w.layers()) {
      for (Tensor t :
          List.of(
              l.inputNorm(),
              l.qProj(),
              l.kProj(),
              l.vProj(),
              l.qNorm(),
              l.kNorm(),
              l.oProj(),
              l.postAttentionNorm(),
              l.gateProj(),
              l.upProj(),
              l.downProj())) {
        segments.add(t.data());
      }
    }
    segments.add(w.norm().data());
    segments.add(w.lmHead().data());
    return segments;
  }

  private static double[] bandwidth(List<MemorySegment> segments, ParallelRunner runner, int reps) {
    long bytes = segments.stream().mapToLong(MemorySegment::byteSize).sum();
    double[] gbps = new double[reps];
    long sink = 0;
    MemoryBandwidth.read(segments, runner); // warm-up
    for (int i = 0; i < reps; i++) {
      long t0 = System.nanoTime();
      sink ^= MemoryBandwidth.read(segments, runner);
      gbps[i] = bytes / ((System.nanoTime() - t0) / 1e9) / 1e9;
    }
    if (sink == 42) {
      System.err.println(); // keeps the checksum alive
    }
    return gbps;
  }

  private static int argmax(float[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }

  private static void putStats(ObjectNode node, double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    node.put("median", median(values));
    node.put("min", sorted[0]);
    node.put("max", sorted[sorted.length - 1]);
    ArrayNode all = node.putArray("all");
    for (double v : values) {
      all.add(v);
    }
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  private static double[] concat(double[] a, double[] b) {
    double[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static String cpuName() {
    try {
      return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
              .filter(l -> l.startsWith("model name"))
              .map(l -> l.substring(l.indexOf(':') + 1).trim())
              .findFirst()
              .orElse("unknown")
          + " x"
          + Runtime.getRuntime().availableProcessors();
    } catch (IOException e) {
      return "unknown";
    }
  }
}
