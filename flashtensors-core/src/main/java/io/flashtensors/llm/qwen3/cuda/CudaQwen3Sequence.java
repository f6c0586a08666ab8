package io.flashtensors.llm.qwen3.cuda;

import io.flashtensors.cuda.CudaContext;
import io.flashtensors.cuda.CudaEvent;
import io.flashtensors.cuda.CudaException;
import io.flashtensors.cuda.CudaPointers;
import io.flashtensors.cuda.CudaStream;
import io.flashtensors.cuda.DeviceBuffer;
import io.flashtensors.cuda.MemoryInfo;
import io.flashtensors.cuda.PinnedBuffer;
import io.flashtensors.llm.qwen3.cuda.GemvPlan.Product;
import io.flashtensors.llm.qwen3.cuda.Qwen3Kernels.Gemm;
import io.flashtensors.llm.qwen3.cuda.Qwen3Kernels.Gemv;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.DoubleSupplier;
import jcuda.Pointer;
import jcuda.driver.CUgraphExec;
import jcuda.driver.JCudaDriver;

/**
 * One sequence of a {@link CudaQwen3Model} on the GPU: its KV cache in device memory (sized from
 * the context length asked for), its activations, and its decode step captured once as a CUDA
 * graph.
 *
 * <ul>
 *   <li>A prompt runs in chunks of up to {@value #PREFILL_CHUNK} tokens through tensor-core GEMMs
 *       and a batched causal attention, not token by token.
 *   <li>A single token replays the captured decode step: every launch of the step in one {@code
 *       cuGraphLaunch}; the position and the token sit in device memory (written by an 8-byte copy
 *       before the replay), so the same graph serves every step.
 *   <li>{@link #sample} chooses the next token on the GPU with the CPU sampler's semantics; only
 *       the 4-byte token id comes back. {@link #logits} copies the logits when a caller wants them.
 * </ul>
 *
 * <p>Not thread-safe: one caller at a time.
 */
public final class CudaQwen3Sequence implements AutoCloseable {

  /** Most prompt tokens one prefill pass takes (longer prompts run in several passes). */
  static final int PREFILL_CHUNK = 1024;

  /** Rows of all-position logits computed per GEMM by {@link #forwardAllLogits}. */
  private static final int LOGIT_ROWS = 64;

  /** Device memory left free beyond the sequence's own buffers (the driver and other users). */
  private static final long HEADROOM = 256L << 20;

  private final Qwen3Shape s;
  private final Qwen3DeviceWeights w;
  private final Qwen3Kernels k;
  private final GemvPlan plan;
  private final CudaPrecision precision;
  private final CudaContext context;
  private final int contextLength;
  private final int splits;
  private final boolean fusedAttention;
  private final float scale;
  private final long layerKvBytes;
  private final List<AutoCloseable> owned = new ArrayList<>();

  private final CudaStream stream;
  private final CudaEvent stagingFree;
  private final PinnedBuffer staging;
  private final MemorySegment host;

  private final long state;
  private final long outToken;
  private final long counts;
  private final long x;
  private final long qkv;
  private final long q;
  private final long attn;
  private final long act;
  private final long logits;
  private final long work;
  private final long probs;
  private final long histogram;
  private final long partAcc;
  private final long partMl;
  private final long counters;
  private final long partMax;
  private final long partIndex;
  private final long kCache;
  private final long vCache;
  private final long ropeCos;
  private final long ropeSin;

  private Prefill prefill;
  private CUgraphExec decodeGraph;
  private int lmParts;
  private int position;
  private final float[] hostLogits;
  private boolean logitsOnHost;
  private boolean closed;

  CudaQwen3Sequence(CudaQwen3Model model, int contextLength) {
    if (contextLength < 1) {
      throw new IllegalArgumentException("context length must be at least 1, not " + contextLength);
    }
    this.s = model.shape();
    this.w = model.weights();
    this.k = model.kernels();
    this.plan = model.plan();
    this.precision = model.precision();
    this.context = model.context();
    this.contextLength = contextLength;
    this.fusedAttention = s.headDim() == 128;
    int blocksPerSplit = s.kvHeads() * Qwen3Kernels.groupsPerKvHead(s);
    this.splits =
        Math.clamp((2L * k.multiprocessors() + blocksPerSplit - 1) / blocksPerSplit, 1, 512);
    this.scale = (float) (1.0 / Math.sqrt(s.headDim()));
    this.layerKvBytes = (long) s.kvHeads() * contextLength * s.headDim() * precision.kvBytes();
    this.hostLogits = new float[s.vocab()];
    try {
      long kvBytes = 2L * s.layers() * layerKvBytes;
      long ropeBytes = 2L * contextLength * (s.headDim() / 2) * 4;
      requireFree(kvBytes + ropeBytes, kvBytes);
      this.stream = own(context.createStream());
      this.stagingFree = own(context.createEvent());
      this.staging = own(context.allocatePinned(64 + 4L * PREFILL_CHUNK));
      this.host = staging.segment();
      int v = s.vocab();
      this.state = alloc(16);
      this.outToken = state + 8;
      this.counts = alloc(4L * v);
      this.x = alloc(4L * s.hidden());
      this.qkv = alloc(4L * (s.queryDim() + 2L * s.kvDim()));
      this.q = alloc(4L * s.queryDim());
      this.attn = alloc(4L * s.queryDim());
      this.act = alloc(4L * s.intermediate());
      this.logits = alloc(4L * v);
      this.work = alloc(4L * v);
      this.probs = alloc(4L * v);
      this.histogram = alloc(4L * Qwen3Kernels.SAMPLE_HISTOGRAM_BINS);
      this.partAcc = alloc(4L * s.heads() * splits * s.headDim());
      this.partMl = alloc(8L * s.heads() * splits);
      this.counters = alloc(4L * s.kvHeads() * Qwen3Kernels.groupsPerKvHead(s));
      this.partMax = alloc(4L * k.maxPartials());
      this.partIndex = alloc(4L * k.maxPartials());
      this.kCache = alloc(s.layers() * layerKvBytes);
      this.vCache = alloc(s.layers() * layerKvBytes);
      this.ropeCos = alloc(ropeBytes / 2);
      this.ropeSin = alloc(ropeBytes / 2);
      zero(counters, 4L * s.kvHeads() * Qwen3Kernels.groupsPerKvHead(s));
      zero(counts, 4L * v);
      zero(histogram, 4L * Qwen3Kernels.SAMPLE_HISTOGRAM_BINS);
      zero(state, 16);
      fillRopeTables();
      stream.synchronize();
    } catch (RuntimeException e) {
      releaseAll();
      throw e;
    }
  }

  // ---------------------------------------------------------------- public surface

  public int vocabSize() {
    return s.vocab();
  }

  public int contextLength() {
    return contextLength;
  }

  /** Tokens in the cache: the position the next token gets. */
  public int position() {
    return position;
  }

  /** Forgets the cache from {@code newPosition} on. */
  public void truncate(int newPosition) {
    if (newPosition < 0 || newPosition > position) {
      throw new IllegalArgumentException(
          "cannot truncate to %d: the cache holds %d positions".formatted(newPosition, position));
    }
    position = newPosition;
  }

  /**
   * Runs {@code tokens[offset .. offset+length)} at positions {@link #position()} on; afterwards
   * the logits (and {@link #sample}) are those of the last token. Returns once the work is queued.
   */
  public void forward(int[] tokens, int offset, int length) {
    checkTokens(tokens, offset, length);
    if (length == 1) {
      decode(tokens[offset]);
    } else {
      for (int done = 0; done < length; ) {
        int n = Math.min(PREFILL_CHUNK, length - done);
        prefillChunk(tokens, offset + done, n, null, 0);
        done += n;
      }
    }
    logitsOnHost = false;
  }

  /**
   * Like {@link #forward} but writes the logits of every token into {@code out[i * vocab ..]} (for
   * parity checks; all positions go through the prompt path).
   */
  public void forwardAllLogits(int[] tokens, int offset, int length, float[] out) {
    checkTokens(tokens, offset, length);
    if (out.length < (long) length * s.vocab()) {
      throw new IllegalArgumentException(
          "%d logits do not fit in %d floats".formatted((long) length * s.vocab(), out.length));
    }
    for (int done = 0; done < length; ) {
      int n = Math.min(PREFILL_CHUNK, length - done);
      prefillChunk(tokens, offset + done, n, out, (long) done * s.vocab());
      done += n;
    }
    logitsOnHost = false;
  }

  /** The float32 logits of the last token run (copied from the GPU on first call after a run). */
  public float[] logits() {
    checkOpen();
    if (!logitsOnHost) {
      stream.synchronize();
      context.makeCurrent();
      check(
          JCudaDriver.cuMemcpyDtoH(
              Pointer.to(hostLogits), CudaPointers.device(logits), 4L * s.vocab()),
          "cuMemcpyDtoH(logits)");
      logitsOnHost = true;
    }
    return hostLogits;
  }

  /**
   * Chooses the next token from the last logits on the GPU, with the semantics and order of the CPU
   * engine's sampler: penalties (on the counts of {@link #resetPenaltyCounts} / tokens chosen
   * since), then greedy (temperature 0: first index of the largest), or temperature, top-k, top-p,
   * min-p and a draw with one uniform from {@code uniform} in ascending id order. The chosen token
   * is counted for later penalties. Ids at or above {@code sampleable} (padding rows of the
   * embedding) are never chosen.
   */
  public int sample(
      float temperature,
      int topK,
      double topP,
      float minP,
      float presencePenalty,
      float frequencyPenalty,
      int sampleable,
      DoubleSupplier uniform) {
    checkOpen();
    if (sampleable < 1 || sampleable > s.vocab()) {
      throw new IllegalArgumentException(
          "sampleable ids (%d) must be in [1, %d]".formatted(sampleable, s.vocab()));
    }
    context.makeCurrent();
    boolean penalties = presencePenalty != 0f || frequencyPenalty != 0f;
    if (temperature == 0f && !penalties && sampleable == s.vocab()) {
      k.argmaxCommit(stream, partMax, partIndex, lmParts, state, counts, outToken);
    } else {
      int parts =
          k.samplePrepare(
              stream,
              logits,
              s.vocab(),
              sampleable,
              counts,
              presencePenalty,
              frequencyPenalty,
              temperature,
              work,
              partMax,
              partIndex,
              temperature == 0f ? 0 : histogram);
      if (temperature == 0f) {
        k.argmaxCommit(stream, partMax, partIndex, parts, state, counts, outToken);
      } else {
        k.sampleDraw(
            stream,
            work,
            s.vocab(),
            partMax,
            parts,
            topK,
            topP,
            minP,
            uniform.getAsDouble(),
            probs,
            state,
            counts,
            outToken,
            histogram);
      }
    }
    check(
        JCudaDriver.cuMemcpyDtoHAsync(
            staging.pointer().withByteOffset(16),
            CudaPointers.device(outToken),
            4,
            stream.handle()),
        "cuMemcpyDtoHAsync(token)");
    stream.synchronize();
    return host.get(ValueLayout.JAVA_INT, 16);
  }

  /**
   * Replaces the last logits (for checking the GPU sampler against the CPU one on chosen logits).
   */
  void setLogits(float[] values) {
    checkOpen();
    if (values.length != s.vocab()) {
      throw new IllegalArgumentException("expected " + s.vocab() + " logits");
    }
    stream.synchronize();
    context.makeCurrent();
    check(
        JCudaDriver.cuMemcpyHtoD(CudaPointers.device(logits), Pointer.to(values), 4L * s.vocab()),
        "cuMemcpyHtoD(logits)");
    // A copy from a Java array may return before its DMA lands; our stream does not wait for the
    // legacy stream, so wait here.
    context.synchronize();
    // The greedy path reads the LM head's (max, index) partials: make them for these logits.
    lmParts =
        k.samplePrepare(
            stream, logits, s.vocab(), s.vocab(), counts, 0f, 0f, 0f, work, partMax, partIndex, 0);
    System.arraycopy(values, 0, hostLogits, 0, values.length);
    logitsOnHost = true;
  }

  /** Clears the token counts the penalties use (a new request starts). */
  public void resetPenaltyCounts() {
    checkOpen();
    zero(counts, 4L * s.vocab());
  }

  /** Sets the token counts the penalties use ({@code counts[t]}: times t was generated). */
  public void setPenaltyCounts(int[] tokenCounts) {
    checkOpen();
    if (tokenCounts.length != s.vocab()) {
      throw new IllegalArgumentException("expected " + s.vocab() + " counts");
    }
    stream.synchronize();
    context.makeCurrent();
    check(
        JCudaDriver.cuMemcpyHtoD(
            CudaPointers.device(counts), Pointer.to(tokenCounts), 4L * s.vocab()),
        "cuMemcpyHtoD(counts)");
    context.synchronize(); // the copy's DMA must land before the sampler (another stream) reads
  }

  /** Frees the KV cache, the buffers and the captured graph. Closing twice does nothing. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      try {
        stream.synchronize();
      } finally {
        releaseAll();
      }
    }
  }

  // ---------------------------------------------------------------- decode

  private void decode(int token) {
    context.makeCurrent();
    stagingFree.synchronize();
    host.set(ValueLayout.JAVA_INT, 0, position);
    host.set(ValueLayout.JAVA_INT, 4, token);
    check(
        JCudaDriver.cuMemcpyHtoDAsync(
            CudaPointers.device(state), staging.pointer(), 8, stream.handle()),
        "cuMemcpyHtoDAsync(decode state)");
    stagingFree.record(stream);
    if (decodeGraph == null) {
      decodeGraph = GemvPlan.capture(stream, this::enqueueDecode);
    }
    check(JCudaDriver.cuGraphLaunch(decodeGraph, stream.handle()), "cuGraphLaunch(decode step)");
    position++;
  }

  /** The launches of one decode step (captured once into the graph). */
  private void enqueueDecode() {
    int h = s.hidden();
    int qd = s.queryDim();
    int kvd = s.kvDim();
    float eps = s.rmsNormEps();
    k.embed(stream, w.embed(), state + 4, 1, h, x);
    for (int l = 0; l < s.layers(); l++) {
      Qwen3DeviceWeights.Layer lw = w.layers().get(l);
      long kc = kCache + l * layerKvBytes;
      long vc = vCache + l * layerKvBytes;
      k.gemv(
          stream,
          Gemv.STORE_NORM,
          plan.split(Product.QKV),
          lw.q(),
          lw.k(),
          lw.v(),
          qd,
          kvd,
          qd + 2 * kvd,
          h,
          x,
          lw.inputNorm(),
          eps,
          qkv);
      if (fusedAttention) {
        k.decodeAttention(
            stream,
            precision.kv(),
            s,
            splits,
            qkv,
            lw.qNorm(),
            lw.kNorm(),
            ropeCos,
            ropeSin,
            state,
            kc,
            vc,
            contextLength,
            scale,
            partAcc,
            partMl,
            counters,
            attn);
      } else {
        k.qkNormRope(
            stream,
            "qf32_" + precision.kv(),
            qkv,
            1,
            s,
            lw.qNorm(),
            lw.kNorm(),
            ropeCos,
            ropeSin,
            state,
            contextLength,
            q,
            kc,
            vc);
        k.attentionSplit(
            stream,
            precision.kv(),
            s,
            splits,
            1,
            q,
            kc,
            vc,
            state,
            contextLength,
            scale,
            partAcc,
            partMl);
        k.attentionCombine(stream, s, splits, 1, partAcc, partMl, attn, 0, 0);
      }
      k.gemv(stream, Gemv.ADD, plan.split(Product.O), lw.o(), 0, 0, h, 0, h, qd, attn, 0, 0f, x);
      k.gemv(
          stream,
          Gemv.SWIGLU_NORM,
          plan.split(Product.GATE_UP),
          lw.gate(),
          lw.up(),
          0,
          s.intermediate(),
          0,
          s.intermediate(),
          h,
          x,
          lw.postNorm(),
          eps,
          act);
      k.gemv(
          stream,
          Gemv.ADD,
          plan.split(Product.DOWN),
          lw.down(),
          0,
          0,
          h,
          0,
          h,
          s.intermediate(),
          act,
          0,
          0f,
          x);
    }
    lmParts =
        k.lmHead(
            stream,
            plan.split(Product.LM_HEAD),
            w.lmHead(),
            s.vocab(),
            h,
            x,
            w.norm(),
            eps,
            logits,
            partMax,
            partIndex);
  }

  // ---------------------------------------------------------------- prefill

  /** Buffers of a prompt pass, made on the first prompt. */
  private record Prefill(
      int rows,
      long ids,
      long x,
      long hi,
      long lo,
      long qkv,
      long qBf16,
      long qF32,
      long partAcc,
      long partMl,
      long actHi,
      long actLo) {}

  private boolean tensorCoreAttention() {
    return precision == CudaPrecision.FAST && (s.headDim() == 64 || s.headDim() == 128);
  }

  private Prefill prefill() {
    if (prefill == null) {
      int r = Math.min(contextLength, PREFILL_CHUNK);
      boolean exact = precision == CudaPrecision.EXACT;
      boolean mma = tensorCoreAttention();
      int wide = Math.max(s.hidden(), s.queryDim());
      prefill =
          new Prefill(
              r,
              alloc(4L * r),
              alloc(4L * r * s.hidden()),
              alloc(2L * r * wide),
              exact ? alloc(2L * r * wide) : 0,
              alloc(4L * r * (s.queryDim() + 2L * s.kvDim())),
              mma ? alloc(2L * r * s.queryDim()) : 0,
              mma ? 0 : alloc(4L * r * s.queryDim()),
              mma ? 0 : alloc(4L * r * s.queryDim()),
              mma ? 0 : alloc(8L * r * s.heads()),
              alloc(2L * r * s.intermediate()),
              exact ? alloc(2L * r * s.intermediate()) : 0);
    }
    return prefill;
  }

  private void prefillChunk(int[] tokens, int offset, int n, float[] allLogits, long outAt) {
    Prefill p = prefill();
    context.makeCurrent();
    stagingFree.synchronize();
    host.set(ValueLayout.JAVA_INT, 0, position);
    MemorySegment.copy(tokens, offset, host, ValueLayout.JAVA_INT, 64, n);
    check(
        JCudaDriver.cuMemcpyHtoDAsync(
            CudaPointers.device(state), staging.pointer(), 4, stream.handle()),
        "cuMemcpyHtoDAsync(prompt position)");
    check(
        JCudaDriver.cuMemcpyHtoDAsync(
            CudaPointers.device(p.ids()),
            staging.pointer().withByteOffset(64),
            4L * n,
            stream.handle()),
        "cuMemcpyHtoDAsync(prompt ids)");
    stagingFree.record(stream);

    int h = s.hidden();
    int qd = s.queryDim();
    int kvd = s.kvDim();
    int inter = s.intermediate();
    float eps = s.rmsNormEps();
    String kv = precision.kv();
    boolean mma = tensorCoreAttention();
    k.embed(stream, w.embed(), p.ids(), n, h, p.x());
    for (int l = 0; l < s.layers(); l++) {
      Qwen3DeviceWeights.Layer lw = w.layers().get(l);
      long kc = kCache + l * layerKvBytes;
      long vc = vCache + l * layerKvBytes;
      k.rmsNormRows(stream, p.x(), lw.inputNorm(), n, h, eps, p.hi(), p.lo());
      k.gemm(
          stream,
          Gemm.STORE,
          p.hi(),
          p.lo(),
          n,
          lw.q(),
          lw.k(),
          lw.v(),
          qd,
          kvd,
          qd + 2 * kvd,
          h,
          p.qkv(),
          qd + 2 * kvd,
          0,
          0);
      if (mma) {
        k.qkNormRope(
            stream,
            "qbf16_kvbf16",
            p.qkv(),
            n,
            s,
            lw.qNorm(),
            lw.kNorm(),
            ropeCos,
            ropeSin,
            state,
            contextLength,
            p.qBf16(),
            kc,
            vc);
        k.prefillAttention(stream, s, n, p.qBf16(), kc, vc, state, contextLength, scale, p.hi(), 0);
      } else {
        k.qkNormRope(
            stream,
            "qf32_" + kv,
            p.qkv(),
            n,
            s,
            lw.qNorm(),
            lw.kNorm(),
            ropeCos,
            ropeSin,
            state,
            contextLength,
            p.qF32(),
            kc,
            vc);
        k.attentionSplit(
            stream,
            kv,
            s,
            1,
            n,
            p.qF32(),
            kc,
            vc,
            state,
            contextLength,
            scale,
            p.partAcc(),
            p.partMl());
        k.attentionCombine(stream, s, 1, n, p.partAcc(), p.partMl(), 0, p.hi(), p.lo());
      }
      k.gemm(stream, Gemm.ADD, p.hi(), p.lo(), n, lw.o(), 0, 0, h, 0, h, qd, p.x(), h, 0, 0);
      k.rmsNormRows(stream, p.x(), lw.postNorm(), n, h, eps, p.hi(), p.lo());
      k.gemm(
          stream,
          Gemm.SWIGLU,
          p.hi(),
          p.lo(),
          n,
          lw.gate(),
          lw.up(),
          0,
          inter,
          0,
          2 * inter,
          h,
          0,
          0,
          p.actHi(),
          p.actLo());
      k.gemm(
          stream, Gemm.ADD, p.actHi(), p.actLo(), n, lw.down(), 0, 0, h, 0, h, inter, p.x(), h, 0,
          0);
    }
    lmParts =
        k.lmHead(
            stream,
            plan.split(Product.LM_HEAD),
            w.lmHead(),
            s.vocab(),
            h,
            p.x() + 4L * (n - 1) * h,
            w.norm(),
            eps,
            logits,
            partMax,
            partIndex);
    if (allLogits != null) {
      allPositionLogits(p, n, allLogits, outAt);
    }
    position += n;
  }

  /** Final norm and LM head of every row of the pass, in blocks, copied into {@code out}. */
  private void allPositionLogits(Prefill p, int n, float[] out, long outAt) {
    int v = s.vocab();
    int h = s.hidden();
    try (DeviceBuffer rows = context.allocate(4L * LOGIT_ROWS * v)) {
      float[] block = new float[LOGIT_ROWS * v];
      for (int r0 = 0; r0 < n; r0 += LOGIT_ROWS) {
        int m = Math.min(LOGIT_ROWS, n - r0);
        k.rmsNormRows(stream, p.x() + 4L * r0 * h, w.norm(), m, h, s.rmsNormEps(), p.hi(), p.lo());
        k.gemm(
            stream,
            Gemm.STORE,
            p.hi(),
            p.lo(),
            m,
            w.lmHead(),
            0,
            0,
            v,
            0,
            v,
            h,
            rows.address(),
            v,
            0,
            0);
        stream.synchronize();
        check(
            JCudaDriver.cuMemcpyDtoH(Pointer.to(block), rows.pointer(), 4L * m * v),
            "cuMemcpyDtoH(logits)");
        System.arraycopy(block, 0, out, Math.toIntExact(outAt + (long) r0 * v), m * v);
      }
    }
  }

  // ---------------------------------------------------------------- setup and checks

  private void fillRopeTables() {
    float[] inv = s.invFreq();
    try (DeviceBuffer invFreq = context.allocate(4L * inv.length)) {
      check(
          JCudaDriver.cuMemcpyHtoD(invFreq.pointer(), Pointer.to(inv), 4L * inv.length),
          "cuMemcpyHtoD(inv_freq)");
      context.synchronize(); // the copy's DMA must land before the kernel (another stream) reads
      k.ropeTable(
          stream, invFreq.address(), inv.length, contextLength, s.ropeScaling(), ropeCos, ropeSin);
      stream.synchronize();
    }
  }

  private void requireFree(long bytes, long kvBytes) {
    MemoryInfo info = context.memoryInfo();
    long need = bytes + HEADROOM;
    if (need > info.free()) {
      long perToken = kvBytes / contextLength;
      long fits = Math.max(0, (info.free() - HEADROOM - (bytes - kvBytes)) / Math.max(1, perToken));
      throw new IllegalStateException(
          String.format(
              Locale.ROOT,
              "the KV cache for a context of %d tokens needs %.2f GiB (%d layers x 2 x %d kv heads x"
                  + " %d dims x %d bytes a token) but GPU %d has %.2f GiB free; ask for a context of"
                  + " at most %d tokens, or free GPU memory",
              contextLength,
              kvBytes / (double) (1L << 30),
              s.layers(),
              s.kvHeads(),
              s.headDim(),
              precision.kvBytes(),
              context.device().index(),
              info.free() / (double) (1L << 30),
              fits));
    }
  }

  private long alloc(long bytes) {
    try {
      return own(context.allocate(Math.max(bytes, 16))).address();
    } catch (CudaException e) {
      if (e.isOutOfMemory()) {
        throw new IllegalStateException(
            String.format(
                Locale.ROOT,
                "GPU %d ran out of memory allocating %.1f MiB for a sequence of %d tokens (%s)",
                context.device().index(),
                bytes / (double) (1L << 20),
                contextLength,
                e.getMessage()),
            e);
      }
      throw e;
    }
  }

  private <T extends AutoCloseable> T own(T resource) {
    owned.add(resource);
    return resource;
  }

  private void zero(long address, long bytes) {
    context.makeCurrent();
    check(
        JCudaDriver.cuMemsetD32Async(CudaPointers.device(address), 0, bytes / 4, stream.handle()),
        "cuMemsetD32Async");
  }

  private void releaseAll() {
    RuntimeException first = null;
    if (decodeGraph != null) {
      JCudaDriver.cuGraphExecDestroy(decodeGraph);
      decodeGraph = null;
    }
    for (int i = owned.size() - 1; i >= 0; i--) {
      try {
        owned.get(i).close();
      } catch (Exception e) {
        if (first == null) {
          first = e instanceof RuntimeException r ? r : new IllegalStateException(e);
        }
      }
    }
    owned.clear();
    if (first != null) {
      throw first;
    }
  }

  private void checkTokens(int[] tokens, int offset, int length) {
    checkOpen();
    Objects.checkFromIndexSize(offset, length, tokens.length);
    if (length == 0) {
      throw new IllegalArgumentException("no tokens to run");
    }
    if ((long) position + length > contextLength) {
      throw new IllegalStateException(
          "the context of %d tokens is full: %d held, %d more asked"
              .formatted(contextLength, position, length));
    }
    for (int i = offset; i < offset + length; i++) {
      if (tokens[i] < 0 || tokens[i] >= s.vocab()) {
        throw new IllegalArgumentException(
            "token id %d is outside the vocabulary (0..%d)".formatted(tokens[i], s.vocab() - 1));
      }
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the sequence is closed");
    }
  }

  private static void check(int result, String operation) {
    Qwen3Kernels.check(result, operation);
  }
}
