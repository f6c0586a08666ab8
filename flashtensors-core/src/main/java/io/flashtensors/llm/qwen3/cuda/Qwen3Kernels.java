package io.flashtensors.llm.qwen3.cuda;

import io.flashtensors.cuda.CudaContext;
import io.flashtensors.cuda.CudaException;
import io.flashtensors.cuda.CudaModule;
import io.flashtensors.cuda.CudaStream;
import java.util.HashMap;
import java.util.Map;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.JCudaDriver;

/**
 * The engine's CUDA kernels: the fatbin built from {@code src/main/cuda} (cubins for sm_80, sm_86,
 * sm_89, sm_90 and PTX for later GPUs), loaded once per context, and launches by kernel name.
 */
final class Qwen3Kernels implements AutoCloseable {

  /** Class-path resource of the fatbin. */
  static final String FATBIN = "/io/flashtensors/cuda/flashtensors.fatbin";

  private static final int DEFAULT_SHARED_LIMIT = 48 * 1024;

  private final CudaContext context;
  private final CudaModule module;
  private final Map<String, CUfunction> functions = new HashMap<>();
  private final Map<String, Integer> raisedShared = new HashMap<>();
  private final int multiprocessors;

  Qwen3Kernels(CudaContext context) {
    this.context = context;
    this.module = context.loadModuleResource(FATBIN);
    context.makeCurrent();
    CUdevice device = new CUdevice();
    check(JCudaDriver.cuCtxGetDevice(device), "cuCtxGetDevice");
    int[] value = new int[1];
    check(
        JCudaDriver.cuDeviceGetAttribute(
            value, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device),
        "cuDeviceGetAttribute(MULTIPROCESSOR_COUNT)");
    this.multiprocessors = value[0];
  }

  CudaContext context() {
    return context;
  }

  /** Streaming multiprocessors of the device (grid sizes follow it). */
  int multiprocessors() {
    return multiprocessors;
  }

  /**
   * Queues kernel {@code name} on {@code stream}: a grid of {@code gx * gy * gz} blocks of {@code
   * block} threads with {@code sharedBytes} of dynamic shared memory.
   */
  void launch(
      String name,
      int gx,
      int gy,
      int gz,
      int block,
      int sharedBytes,
      CudaStream stream,
      KernelArgs args) {
    CUfunction f = function(name, sharedBytes);
    check(
        JCudaDriver.cuLaunchKernel(
            f, gx, gy, gz, block, 1, 1, sharedBytes, stream.handle(), args.toPointer(), null),
        "launch of " + name);
  }

  void launch(String name, int gx, int block, int sharedBytes, CudaStream stream, KernelArgs args) {
    launch(name, gx, 1, 1, block, sharedBytes, stream, args);
  }

  // ---- typed launches (argument order as in src/main/cuda) ----

  /** The GEMV variants (see gemv.cuh). */
  enum Gemv {
    /** out = W . RMSNorm(x): q/k/v in one launch. */
    STORE_NORM("ft_gemv_store_norm", true),
    /** out += W . x: o_proj and down_proj into the residual stream. */
    ADD("ft_gemv_add", false),
    /** out = silu(Wg . RMSNorm(x)) * (Wu . RMSNorm(x)). */
    SWIGLU_NORM("ft_gemv_swiglu_norm", true);

    final String prefix;
    final boolean norm;

    Gemv(String prefix, boolean norm) {
      this.prefix = prefix;
      this.norm = norm;
    }
  }

  /** Splits of K a GEMV row may be spread over (warps per row). */
  static final int[] SPLITS = {1, 2, 4, 8};

  /** Most blocks a grid-striding kernel gets: 8 per multiprocessor. */
  int strideGrid(int groups) {
    return Math.min(groups, multiprocessors * 8);
  }

  void gemv(
      CudaStream s,
      Gemv kind,
      int split,
      long w0,
      long w1,
      long w2,
      int n0,
      int n1,
      int n,
      int k,
      long x,
      long normWeight,
      float eps,
      long out) {
    int rows = 8 / split;
    launch(
        kind.prefix + "_k" + split,
        strideGrid((n + rows - 1) / rows),
        256,
        kind.norm ? k * 4 : 0,
        s,
        KernelArgs.of()
            .ptr(w0)
            .ptr(w1)
            .ptr(w2)
            .i32(n0)
            .i32(n1)
            .i32(n)
            .i32(k)
            .ptr(x)
            .ptr(normWeight)
            .f32(eps)
            .ptr(out));
  }

  /**
   * Final norm and logits (a GEMV over the vocabulary), then each block's (max, first index) of the
   * logits for greedy choice; returns the number of partials written.
   */
  int lmHead(
      CudaStream s,
      int split,
      long w,
      int n,
      int k,
      long x,
      long normWeight,
      float eps,
      long logits,
      long partMax,
      long partIndex) {
    gemv(s, Gemv.STORE_NORM, split, w, 0, 0, n, 0, n, k, x, normWeight, eps, logits);
    int grid = Math.min(maxPartials(), Math.max(1, (n + 1023) / 1024));
    launch(
        "ft_argmax_partial",
        grid,
        256,
        0,
        s,
        KernelArgs.of().ptr(logits).i32(n).ptr(partMax).ptr(partIndex));
    return grid;
  }

  /** Largest number of (max, index) partials any launch writes. */
  int maxPartials() {
    return multiprocessors * 8;
  }

  void embed(CudaStream s, long table, long ids, int tokens, int hidden, long x) {
    launch(
        "ft_embed",
        (hidden + 255) / 256,
        tokens,
        1,
        256,
        0,
        s,
        KernelArgs.of().ptr(table).ptr(ids).i32(tokens).i32(hidden).ptr(x));
  }

  /** The GEMM variants (see gemm.cuh). */
  enum Gemm {
    STORE("ft_gemm_store"),
    ADD("ft_gemm_add"),
    SWIGLU("ft_gemm_swiglu");

    final String name;

    Gemm(String name) {
      this.name = name;
    }
  }

  static final int GEMM_SHARED = 4 * (128 + 128) * 32 * 2;

  void gemm(
      CudaStream s,
      Gemm kind,
      long aHi,
      long aLo,
      int m,
      long b0,
      long b1,
      long b2,
      int n0,
      int n1,
      int n,
      int k,
      long c,
      int ldc,
      long cHi,
      long cLo) {
    launch(
        kind.name,
        (m + 127) / 128,
        (n + 127) / 128,
        1,
        256,
        GEMM_SHARED,
        s,
        KernelArgs.of()
            .ptr(aHi)
            .ptr(aLo)
            .i32(m)
            .ptr(b0)
            .ptr(b1)
            .ptr(b2)
            .i32(n0)
            .i32(n1)
            .i32(n)
            .i32(k)
            .ptr(c)
            .i32(ldc)
            .ptr(cHi)
            .ptr(cLo));
  }

  void rmsNormRows(
      CudaStream s, long x, long weight, int rows, int hidden, float eps, long hi, long lo) {
    launch(
        "ft_rmsnorm_rows",
        rows,
        256,
        0,
        s,
        KernelArgs.of().ptr(x).ptr(weight).i32(hidden).f32(eps).ptr(hi).ptr(lo));
  }

  void swigluRows(CudaStream s, long gateUp, int rows, int intermediate, long hi, long lo) {
    long n = (long) rows * intermediate;
    launch(
        "ft_swiglu_rows",
        (int) Math.min((n + 255) / 256, multiprocessors * 16L),
        256,
        0,
        s,
        KernelArgs.of().ptr(gateUp).i32(rows).i32(intermediate).ptr(hi).ptr(lo));
  }

  void ropeTable(
      CudaStream s, long invFreq, int half, int positions, float scaling, long cos, long sin) {
    launch(
        "ft_rope_table",
        multiprocessors * 4,
        256,
        0,
        s,
        KernelArgs.of().ptr(invFreq).i32(half).i32(positions).f32(scaling).ptr(cos).ptr(sin));
  }

  void qkNormRope(
      CudaStream s,
      String variant,
      long qkv,
      int tokens,
      Qwen3Shape shape,
      long qNorm,
      long kNorm,
      long cos,
      long sin,
      long state,
      int maxPositions,
      long qOut,
      long kCache,
      long vCache) {
    int items = tokens * (shape.heads() + shape.kvHeads());
    launch(
        "ft_qk_norm_rope_" + variant,
        (items + 3) / 4,
        128,
        0,
        s,
        KernelArgs.of()
            .ptr(qkv)
            .i32(tokens)
            .i32(shape.heads())
            .i32(shape.kvHeads())
            .i32(shape.headDim())
            .ptr(qNorm)
            .ptr(kNorm)
            .f32(shape.rmsNormEps())
            .ptr(cos)
            .ptr(sin)
            .ptr(state)
            .i32(maxPositions)
            .ptr(qOut)
            .ptr(kCache)
            .ptr(vCache));
  }

  /** Query heads one attention block takes (sharing a kv head): 2, 4 or 8. */
  static int headsPerBlock(Qwen3Shape shape) {
    int g = shape.groupSize();
    return g <= 2 ? 2 : g <= 4 ? 4 : 8;
  }

  /** Blocks per kv head in the attention grids (groups of up to 8 q heads). */
  static int groupsPerKvHead(Qwen3Shape shape) {
    return (shape.groupSize() + 7) / 8;
  }

  void decodeAttention(
      CudaStream s,
      String kv,
      Qwen3Shape shape,
      int splits,
      long qkv,
      long qNorm,
      long kNorm,
      long cos,
      long sin,
      long state,
      long kCache,
      long vCache,
      int maxPositions,
      float scale,
      long partAcc,
      long partMl,
      long counters,
      long out) {
    launch(
        "ft_decode_attention_" + kv + "_g" + headsPerBlock(shape),
        shape.kvHeads() * groupsPerKvHead(shape),
        splits,
        1,
        128,
        0,
        s,
        KernelArgs.of()
            .ptr(qkv)
            .ptr(qNorm)
            .ptr(kNorm)
            .f32(shape.rmsNormEps())
            .ptr(cos)
            .ptr(sin)
            .ptr(state)
            .ptr(kCache)
            .ptr(vCache)
            .i32(shape.heads())
            .i32(shape.kvHeads())
            .i32(maxPositions)
            .f32(scale)
            .ptr(partAcc)
            .ptr(partMl)
            .ptr(counters)
            .ptr(out));
  }

  /** The head-size bound of the generic attention kernel for {@code headDim}. */
  static int attentionBound(int headDim) {
    return headDim <= 32 ? 32 : headDim <= 64 ? 64 : headDim <= 128 ? 128 : 256;
  }

  void attentionSplit(
      CudaStream s,
      String kv,
      Qwen3Shape shape,
      int splits,
      int tokens,
      long q,
      long kCache,
      long vCache,
      long state,
      int maxPositions,
      float scale,
      long partAcc,
      long partMl) {
    launch(
        "ft_attention_split_" + kv + "_d" + attentionBound(shape.headDim()),
        shape.kvHeads() * groupsPerKvHead(shape),
        splits,
        tokens,
        128,
        0,
        s,
        KernelArgs.of()
            .ptr(q)
            .ptr(kCache)
            .ptr(vCache)
            .ptr(state)
            .i32(shape.heads())
            .i32(shape.kvHeads())
            .i32(shape.headDim())
            .i32(maxPositions)
            .f32(scale)
            .ptr(partAcc)
            .ptr(partMl));
  }

  void attentionCombine(
      CudaStream s,
      Qwen3Shape shape,
      int splits,
      int tokens,
      long partAcc,
      long partMl,
      long out,
      long outHi,
      long outLo) {
    launch(
        "ft_attention_combine",
        shape.heads(),
        tokens,
        1,
        128,
        0,
        s,
        KernelArgs.of()
            .ptr(partAcc)
            .ptr(partMl)
            .i32(shape.heads())
            .i32(shape.headDim())
            .i32(splits)
            .ptr(out)
            .ptr(outHi)
            .ptr(outLo));
  }

  void prefillAttention(
      CudaStream s,
      Qwen3Shape shape,
      int tokens,
      long q,
      long kCache,
      long vCache,
      long state,
      int maxPositions,
      float scale,
      long outHi,
      long outLo) {
    int d = shape.headDim();
    launch(
        "ft_prefill_attention_d" + d,
        (tokens + 63) / 64,
        shape.heads(),
        1,
        128,
        5 * 64 * d * 2,
        s,
        KernelArgs.of()
            .ptr(q)
            .ptr(kCache)
            .ptr(vCache)
            .ptr(state)
            .i32(tokens)
            .i32(shape.heads())
            .i32(shape.kvHeads())
            .i32(maxPositions)
            .f32(scale)
            .ptr(outHi)
            .ptr(outLo));
  }

  void argmaxCommit(
      CudaStream s,
      long partMax,
      long partIndex,
      int parts,
      long state,
      long counts,
      long outToken) {
    launch(
        "ft_argmax_commit",
        1,
        256,
        0,
        s,
        KernelArgs.of()
            .ptr(partMax)
            .ptr(partIndex)
            .i32(parts)
            .ptr(state)
            .ptr(counts)
            .ptr(outToken)
            .i32(0));
  }

  /** Bins of the key histogram ft_sample_prepare builds for the top-k fast path. */
  static final int SAMPLE_HISTOGRAM_BINS = 2048;

  /**
   * Penalties and temperature into work, per-block (max, index), and (when {@code histogram} is not
   * 0) the histogram ft_sample_draw reads and clears; returns the number of partials.
   */
  int samplePrepare(
      CudaStream s,
      long logits,
      int vocab,
      int sampleable,
      long counts,
      float presence,
      float frequency,
      float temperature,
      long work,
      long partMax,
      long partIndex,
      long histogram) {
    int grid = maxPartials();
    launch(
        "ft_sample_prepare",
        grid,
        256,
        0,
        s,
        KernelArgs.of()
            .ptr(logits)
            .i32(vocab)
            .i32(sampleable)
            .ptr(counts)
            .f32(presence)
            .f32(frequency)
            .f32(temperature)
            .ptr(work)
            .ptr(partMax)
            .ptr(partIndex)
            .ptr(histogram));
    return grid;
  }

  void sampleDraw(
      CudaStream s,
      long work,
      int vocab,
      long partMax,
      int parts,
      int topK,
      double topP,
      float minP,
      double u,
      long probs,
      long state,
      long counts,
      long outToken,
      long histogram) {
    launch(
        "ft_sample_draw",
        1,
        1024,
        0,
        s,
        KernelArgs.of()
            .ptr(work)
            .i32(vocab)
            .ptr(partMax)
            .i32(parts)
            .i32(topK)
            .f64(topP)
            .f32(minP)
            .f64(u)
            .ptr(probs)
            .ptr(state)
            .ptr(counts)
            .ptr(outToken)
            .i32(0)
            .ptr(histogram));
  }

  private CUfunction function(String name, int sharedBytes) {
    CUfunction f = functions.get(name);
    if (f == null) {
      f = module.function(name);
      functions.put(name, f);
    }
    if (sharedBytes > Math.max(DEFAULT_SHARED_LIMIT, raisedShared.getOrDefault(name, 0))) {
      // Dynamic shared memory above 48 KB must be asked for per kernel.
      check(
          JCudaDriver.cuFuncSetAttribute(
              f, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, sharedBytes),
          "cuFuncSetAttribute(" + name + ", " + sharedBytes + " bytes of shared memory)");
      raisedShared.put(name, sharedBytes);
    }
    return f;
  }

  static void check(int result, String operation) {
    if (result != 0) {
      throw new CudaException(operation, result);
    }
  }

  @Override
  public void close() {
    module.close();
  }
}
