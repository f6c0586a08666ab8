package io.flashtensors.llm.qwen3.cuda;

import io.flashtensors.cuda.CudaContext;
import io.flashtensors.cuda.CudaEvent;
import io.flashtensors.cuda.CudaStream;
import io.flashtensors.cuda.DeviceBuffer;
import io.flashtensors.llm.qwen3.cuda.Qwen3Kernels.Gemv;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.StringJoiner;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.driver.JCudaDriver;

/**
 * How many warps share one output row in each of the decode step's matrix-vector products. Small
 * matrices (the o and down projections of small models) need rows split over warps to keep enough
 * loads in flight; large ones do best with one warp a row. {@link #tune} measures every choice on
 * the model's own weights (a CUDA graph of all layers per choice, timed with events); {@link
 * #heuristic} is the fallback. Measured plans are remembered per GPU model and shape in a small
 * properties file ({@link #cacheFile}), so later starts skip the measurement.
 *
 * @param splits warps per row for each product
 * @param tunedMicros measured time per layer (per launch for the LM head) of the chosen split, or
 *     empty when not measured
 */
record GemvPlan(Map<Product, Integer> splits, Map<Product, Double> tunedMicros) {

  /** The products of a decode step. */
  enum Product {
    QKV,
    O,
    GATE_UP,
    DOWN,
    LM_HEAD
  }

  GemvPlan {
    splits = Map.copyOf(splits);
    tunedMicros = Map.copyOf(tunedMicros);
  }

  int split(Product p) {
    return splits.get(p);
  }

  /** Rows of each product for this shape. */
  static int rows(Product p, Qwen3Shape s) {
    return switch (p) {
      case QKV -> s.queryDim() + 2 * s.kvDim();
      case O, DOWN -> s.hidden();
      case GATE_UP -> s.intermediate();
      case LM_HEAD -> s.vocab();
    };
  }

  /** Length of each row (the K of the product). */
  static int columns(Product p, Qwen3Shape s) {
    return switch (p) {
      case QKV, GATE_UP, LM_HEAD -> s.hidden();
      case O -> s.queryDim();
      case DOWN -> s.intermediate();
    };
  }

  /** One warp a row for tall matrices, else enough warps for about 4096 in flight. */
  static GemvPlan heuristic(Qwen3Shape shape) {
    Map<Product, Integer> splits = new EnumMap<>(Product.class);
    for (Product p : Product.values()) {
      int n = rows(p, shape);
      int k = columns(p, shape);
      int split = 1;
      if (n < 2048) {
        while (split < 8 && n * split < 4096 && k / (split * 2) >= 512) {
          split *= 2;
        }
      }
      splits.put(p, split);
    }
    return new GemvPlan(splits, Map.of());
  }

  /** Measures each split of each product on the real weights and keeps the fastest. */
  static GemvPlan tune(
      Qwen3Kernels kernels, Qwen3Shape shape, Qwen3DeviceWeights weights, CudaStream stream) {
    CudaContext ctx = kernels.context();
    List<DeviceBuffer> scratch = new ArrayList<>();
    try (CudaEvent start = ctx.createTimingEvent();
        CudaEvent end = ctx.createTimingEvent()) {
      long x = alloc(scratch, ctx, Math.max(shape.hidden(), shape.queryDim()) * 4L, 0x3f800000);
      long act = alloc(scratch, ctx, shape.intermediate() * 4L, 0x3dcccccd);
      long out;
      int widest = 0;
      for (Product p : Product.values()) {
        widest = Math.max(widest, rows(p, shape));
      }
      out = alloc(scratch, ctx, widest * 4L, 0);
      long residual = alloc(scratch, ctx, shape.hidden() * 4L, 0);
      long partMax = alloc(scratch, ctx, kernels.maxPartials() * 4L, 0);
      long partIndex = alloc(scratch, ctx, kernels.maxPartials() * 4L, 0);
      Map<Product, Integer> splits = new EnumMap<>(Product.class);
      Map<Product, Double> micros = new EnumMap<>(Product.class);
      float eps = shape.rmsNormEps();
      for (Product p : Product.values()) {
        double best = Double.MAX_VALUE;
        int bestSplit = 1;
        for (int split : Qwen3Kernels.SPLITS) {
          final int sp = split;
          Runnable body =
              () -> {
                if (p == Product.LM_HEAD) {
                  kernels.lmHead(
                      stream,
                      sp,
                      weights.lmHead(),
                      shape.vocab(),
                      shape.hidden(),
                      x,
                      weights.norm(),
                      eps,
                      out,
                      partMax,
                      partIndex);
                  return;
                }
                for (Qwen3DeviceWeights.Layer l : weights.layers()) {
                  switch (p) {
                    case QKV ->
                        kernels.gemv(
                            stream,
                            Gemv.STORE_NORM,
                            sp,
                            l.q(),
                            l.k(),
                            l.v(),
                            shape.queryDim(),
                            shape.kvDim(),
                            rows(p, shape),
                            shape.hidden(),
                            x,
                            l.inputNorm(),
                            eps,
                            out);
                    case O ->
                        kernels.gemv(
                            stream,
                            Gemv.ADD,
                            sp,
                            l.o(),
                            0,
                            0,
                            shape.hidden(),
                            0,
                            shape.hidden(),
                            shape.queryDim(),
                            x,
                            0,
                            0f,
                            residual);
                    case GATE_UP ->
                        kernels.gemv(
                            stream,
                            Gemv.SWIGLU_NORM,
                            sp,
                            l.gate(),
                            l.up(),
                            0,
                            shape.intermediate(),
                            0,
                            shape.intermediate(),
                            shape.hidden(),
                            x,
                            l.postNorm(),
                            eps,
                            out);
                    case DOWN ->
                        kernels.gemv(
                            stream,
                            Gemv.ADD,
                            sp,
                            l.down(),
                            0,
                            0,
                            shape.hidden(),
                            0,
                            shape.hidden(),
                            shape.intermediate(),
                            act,
                            0,
                            0f,
                            residual);
                    default -> throw new IllegalStateException();
                  }
                }
              };
          double us = timeGraph(ctx, stream, body, start, end);
          if (p != Product.LM_HEAD) {
            us /= shape.layers();
          }
          if (us < best) {
            best = us;
            bestSplit = split;
          }
        }
        splits.put(p, bestSplit);
        micros.put(p, best);
      }
      return new GemvPlan(splits, micros);
    } finally {
      for (DeviceBuffer b : scratch) {
        b.close();
      }
    }
  }

  /**
   * Where measured plans are kept: the system property {@code flashtensors.gemv-plan-cache} (a
   * file, or {@code none}), else {@code $XDG_CACHE_HOME/flashtensors/gemv-plans.properties}, else
   * {@code ~/.cache/flashtensors/gemv-plans.properties}. Null when caching is off.
   */
  static Path cacheFile() {
    String setting = System.getProperty("flashtensors.gemv-plan-cache");
    if (setting != null) {
      return setting.equalsIgnoreCase("none") ? null : Path.of(setting);
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base =
        xdg != null && !xdg.isBlank()
            ? Path.of(xdg)
            : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("flashtensors").resolve("gemv-plans.properties");
  }

  /** The cache key: the GPU's name and every size the launch choice depends on. */
  static String cacheKey(String gpu, Qwen3Shape s) {
    return "%s|h%d|i%d|q%d|kv%d|d%d|l%d|v%d"
        .formatted(
            gpu.replace(' ', '_'),
            s.hidden(),
            s.intermediate(),
            s.heads(),
            s.kvHeads(),
            s.headDim(),
            s.layers(),
            s.vocab());
  }

  /** The remembered plan for {@code key}, or null (no file, no entry, unreadable entry). */
  static GemvPlan cached(Path file, String key) {
    if (file == null || !Files.isRegularFile(file)) {
      return null;
    }
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    } catch (IOException | IllegalArgumentException e) {
      return null;
    }
    String value = p.getProperty(key);
    if (value == null) {
      return null;
    }
    Map<Product, Integer> splits = new EnumMap<>(Product.class);
    try {
      for (String part : value.split(",")) {
        String[] kv = part.split("=");
        int split = Integer.parseInt(kv[1].strip());
        if (split != 1 && split != 2 && split != 4 && split != 8) {
          return null;
        }
        splits.put(Product.valueOf(kv[0].strip()), split);
      }
    } catch (RuntimeException e) {
      return null;
    }
    return splits.size() == Product.values().length ? new GemvPlan(splits, Map.of()) : null;
  }

  /** Adds {@code plan} under {@code key} (temp file and rename; failures only lose the cache). */
  static void remember(Path file, String key, GemvPlan plan) {
    if (file == null) {
      return;
    }
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Properties p = new Properties();
      if (Files.isRegularFile(file)) {
        try (InputStream in = Files.newInputStream(file)) {
          p.load(in);
        }
      }
      StringJoiner value = new StringJoiner(",");
      for (Product product : Product.values()) {
        value.add(product + "=" + plan.split(product));
      }
      p.setProperty(key, value.toString());
      Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".gemv-plans", ".tmp");
      try {
        try (OutputStream out = Files.newOutputStream(tmp)) {
          p.store(out, "decode GEMV warps per row, measured by flashtensors on these GPUs");
        }
        try {
          Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException | RuntimeException e) {
      // A read-only home or a full disk costs the next start a measurement, nothing else.
    }
  }

  private static long alloc(List<DeviceBuffer> owned, CudaContext ctx, long bytes, int pattern) {
    DeviceBuffer b = ctx.allocate(bytes);
    owned.add(b);
    Qwen3Kernels.check(JCudaDriver.cuMemsetD32(b.pointer(), pattern, bytes / 4), "cuMemsetD32");
    return b.address();
  }

  /** Median-free but warm: one replay to warm up, then the faster of two timed replays (µs). */
  private static double timeGraph(
      CudaContext ctx, CudaStream stream, Runnable body, CudaEvent start, CudaEvent end) {
    CUgraphExec exec = capture(stream, body);
    try {
      Qwen3Kernels.check(JCudaDriver.cuGraphLaunch(exec, stream.handle()), "cuGraphLaunch");
      double best = Double.MAX_VALUE;
      for (int i = 0; i < 2; i++) {
        start.record(stream);
        Qwen3Kernels.check(JCudaDriver.cuGraphLaunch(exec, stream.handle()), "cuGraphLaunch");
        end.record(stream);
        end.synchronize();
        best = Math.min(best, end.elapsedMillisSince(start) * 1000.0);
      }
      return best;
    } finally {
      JCudaDriver.cuGraphExecDestroy(exec);
    }
  }

  /**
   * Captures what {@code body} queues on {@code stream} into an instantiated graph. Capture is
   * thread-local, so other threads' CUDA calls (the loader's copies) are not disturbed.
   */
  static CUgraphExec capture(CudaStream stream, Runnable body) {
    stream.context().makeCurrent();
    Qwen3Kernels.check(
        JCudaDriver.cuStreamBeginCapture(
            stream.handle(), CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL),
        "cuStreamBeginCapture");
    CUgraph graph = new CUgraph();
    try {
      body.run();
    } catch (RuntimeException e) {
      JCudaDriver.cuStreamEndCapture(stream.handle(), graph);
      JCudaDriver.cuGraphDestroy(graph);
      throw e;
    }
    Qwen3Kernels.check(
        JCudaDriver.cuStreamEndCapture(stream.handle(), graph), "cuStreamEndCapture");
    try {
      CUgraphExec exec = new CUgraphExec();
      Qwen3Kernels.check(JCudaDriver.cuGraphInstantiate(exec, graph, 0L), "cuGraphInstantiate");
      return exec;
    } finally {
      JCudaDriver.cuGraphDestroy(graph);
    }
  }
}
