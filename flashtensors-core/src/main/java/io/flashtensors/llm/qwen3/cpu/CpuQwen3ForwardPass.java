package io.flashtensors.llm.qwen3.cpu;

import static io.flashtensors.llm.cpu.VectorMath.axpy;
import static io.flashtensors.llm.cpu.VectorMath.dot;
import static io.flashtensors.llm.cpu.VectorMath.matmul;
import static io.flashtensors.llm.cpu.VectorMath.rmsNorm;
import static io.flashtensors.llm.cpu.VectorMath.siluMul;
import static io.flashtensors.llm.cpu.VectorMath.softmax;

import io.flashtensors.llm.cpu.ParallelRunner;
import io.flashtensors.llm.cpu.WeightMatrix;
import io.flashtensors.llm.generate.ForwardPass;
import io.flashtensors.llm.qwen3.Qwen3Config;
import io.flashtensors.llm.qwen3.Rope;
import java.util.Arrays;

/**
 * The Qwen3 forward pass on the CPU, for one sequence. Per layer, for a block of tokens:
 *
 * <pre>
 *   h = RMSNorm(x) ; q,k,v = h·Wq, h·Wk, h·Wv ; q,k = RMSNorm per head (q_norm, k_norm) ; RoPE(q, k)
 *   append k, v to the cache ; a = causal GQA softmax(q·k / sqrt(head_dim))·v ; x += a·Wo
 *   h = RMSNorm(x) ; x += (silu(h·Wgate) * h·Wup)·Wdown
 * </pre>
 *
 * then the final RMSNorm and the LM head for the tokens whose logits are wanted. All activations
 * are float32 arrays allocated once per sequence.
 */
final class CpuQwen3ForwardPass implements ForwardPass {

  private final Qwen3Config c;
  private final CpuQwen3Backend.Weights w;
  private final Rope rope;
  private final ParallelRunner runner;
  private final int block;
  private final KvCache cache;
  private final float eps;
  private final float attentionScale;

  // activations of a block of tokens, token-major: x[b * hidden + i]
  private final float[] x;
  private final float[] xb;
  private final float[] q;
  private final float[] k;
  private final float[] v;
  private final float[] att;
  private final float[] gate;
  private final float[] up;
  private final float[] cos;
  private final float[] sin;
  private final float[] logits;
  private float[][] scores;
  private int position;

  CpuQwen3ForwardPass(
      Qwen3Config config,
      CpuQwen3Backend.Weights weights,
      Rope rope,
      ParallelRunner runner,
      int contextLength,
      int block) {
    this.c = config;
    this.w = weights;
    this.rope = rope;
    this.runner = runner;
    this.block = block;
    this.cache = new KvCache(config.numLayers(), config.kvDim(), contextLength);
    this.eps = config.rmsNormEps();
    this.attentionScale = (float) (1.0 / Math.sqrt(config.headDim()));
    int hidden = config.hiddenSize();
    x = new float[block * hidden];
    xb = new float[block * hidden];
    q = new float[block * config.queryDim()];
    k = new float[block * config.kvDim()];
    v = new float[block * config.kvDim()];
    att = new float[block * config.queryDim()];
    gate = new float[block * config.intermediateSize()];
    up = new float[block * config.intermediateSize()];
    cos = new float[block * config.headDim() / 2];
    sin = new float[block * config.headDim() / 2];
    logits = new float[config.vocabSize()];
    scores = new float[runner.maxChunks()][cache.capacity()];
  }

  @Override
  public int vocabSize() {
    return c.vocabSize();
  }

  @Override
  public int contextLength() {
    return cache.contextLength();
  }

  @Override
  public int position() {
    return position;
  }

  @Override
  public float[] logits() {
    return logits;
  }

  @Override
  public void truncate(int newPosition) {
    if (newPosition < 0 || newPosition > position) {
      throw new IllegalArgumentException(
          "cannot truncate to %d: the cache holds %d positions".formatted(newPosition, position));
    }
    position = newPosition;
  }

  @Override
  public void forward(int[] tokens, int offset, int length) {
    run(tokens, offset, length, null);
  }

  @Override
  public void forwardAllLogits(int[] tokens, int offset, int length, float[] out) {
    if (out.length < (long) length * c.vocabSize()) {
      throw new IllegalArgumentException("logits array too small for " + length + " tokens");
    }
    run(tokens, offset, length, out);
  }

  private void run(int[] tokens, int offset, int length, float[] allLogits) {
    if (length < 1) {
      throw new IllegalArgumentException("nothing to forward");
    }
    if (position + length > cache.contextLength()) {
      throw new IllegalStateException(
          "%d tokens at position %d exceed the context length %d"
              .formatted(length, position, cache.contextLength()));
    }
    for (int i = offset; i < offset + length; i++) {
      if (tokens[i] < 0 || tokens[i] >= c.vocabSize()) {
        throw new IllegalArgumentException(
            "token id %d is outside the vocabulary [0, %d)".formatted(tokens[i], c.vocabSize()));
      }
    }
    cache.ensureCapacity(position + length);
    if (scores[0].length < cache.capacity()) {
      scores = new float[scores.length][cache.capacity()];
    }
    runner.execute(() -> runBlocks(tokens, offset, length, allLogits));
    if (allLogits != null) {
      System.arraycopy(allLogits, (length - 1) * c.vocabSize(), logits, 0, c.vocabSize());
    }
  }

  private void runBlocks(int[] tokens, int offset, int length, float[] allLogits) {
    for (int done = 0; done < length; done += block) {
      int n = Math.min(block, length - done);
      boolean last = done + n == length;
      runBlock(tokens, offset + done, n);
      if (allLogits != null) {
        logits(n, 0, allLogits, done);
      } else if (last) {
        logits(1, n - 1, logits, 0);
      }
      position += n;
    }
  }

  /** Runs {@code n} tokens through every layer; leaves their hidden states in {@code x}. */
  private void runBlock(int[] tokens, int from, int n) {
    int hidden = c.hiddenSize();
    int half = c.headDim() / 2;
    for (int b = 0; b < n; b++) {
      w.embed().row(tokens[from + b], x, b * hidden);
      rope.cosSin(position + b, cos, sin, b * half);
    }
    for (int l = 0; l < c.numLayers(); l++) {
      layer(l, w.layers().get(l), n);
    }
  }

  private void layer(int l, CpuQwen3Backend.Layer lw, int n) {
    int hidden = c.hiddenSize();
    int qDim = c.queryDim();
    int kvDim = c.kvDim();
    int inter = c.intermediateSize();

    for (int b = 0; b < n; b++) {
      rmsNorm(x, b * hidden, lw.inputNorm(), eps, xb, b * hidden, hidden);
    }
    // q, k and v in one split: their rows are independent and share the input.
    int qkvRows = qDim + 2 * kvDim;
    runner.forRange(
        qkvRows,
        (long) qkvRows * hidden * n,
        (chunk, s, e) -> {
          project(lw.q(), n, q, qDim, 0, s, e);
          project(lw.k(), n, k, kvDim, qDim, s, e);
          project(lw.v(), n, v, kvDim, qDim + kvDim, s, e);
        });
    headNormAndRope(l, lw, n);

    int heads = c.numHeads();
    long attWork = (long) n * heads * (position + n) * c.headDim() * 2;
    runner.forRange(
        n * heads,
        attWork,
        (chunk, s, e) -> {
          for (int i = s; i < e; i++) {
            attend(l, i / heads, i % heads, scores[chunk]);
          }
        });

    runner.forRange(
        hidden,
        (long) hidden * qDim * n,
        (chunk, s, e) -> matmul(lw.o(), att, qDim, n, x, hidden, 0, s, e, true));

    for (int b = 0; b < n; b++) {
      rmsNorm(x, b * hidden, lw.postAttentionNorm(), eps, xb, b * hidden, hidden);
    }
    runner.forRange(
        inter,
        2L * inter * hidden * n,
        (chunk, s, e) -> {
          matmul(lw.gate(), xb, hidden, n, gate, inter, 0, s, e, false);
          matmul(lw.up(), xb, hidden, n, up, inter, 0, s, e, false);
          for (int b = 0; b < n; b++) {
            siluMul(gate, b * inter + s, up, b * inter + s, e - s);
          }
        });
    runner.forRange(
        hidden,
        (long) hidden * inter * n,
        (chunk, s, e) -> matmul(lw.down(), gate, inter, n, x, hidden, 0, s, e, true));
  }

  /** Rows {@code [s, e)} of a fused q|k|v split that fall in the part starting at {@code base}. */
  private void project(WeightMatrix m, int n, float[] out, int outStride, int base, int s, int e) {
    int lo = Math.max(s, base) - base;
    int hi = Math.min(e, base + m.rows()) - base;
    if (lo < hi) {
      matmul(m, xb, c.hiddenSize(), n, out, outStride, 0, lo, hi, false);
    }
  }

  private void headNormAndRope(int l, CpuQwen3Backend.Layer lw, int n) {
    int hd = c.headDim();
    int half = hd / 2;
    int qDim = c.queryDim();
    int kvDim = c.kvDim();
    float[] keys = cache.keys(l);
    float[] values = cache.values(l);
    for (int b = 0; b < n; b++) {
      for (int h = 0; h < c.numHeads(); h++) {
        int at = b * qDim + h * hd;
        rmsNorm(q, at, lw.qNorm(), eps, q, at, hd);
        Rope.rotate(q, at, hd, cos, sin, b * half);
      }
      for (int h = 0; h < c.numKvHeads(); h++) {
        int at = b * kvDim + h * hd;
        rmsNorm(k, at, lw.kNorm(), eps, k, at, hd);
        Rope.rotate(k, at, hd, cos, sin, b * half);
      }
      int slot = cache.offset(position + b);
      System.arraycopy(k, b * kvDim, keys, slot, kvDim);
      System.arraycopy(v, b * kvDim, values, slot, kvDim);
    }
  }

  /** Causal attention of token {@code b} of the block, query head {@code h}. */
  private void attend(int l, int b, int h, float[] score) {
    int hd = c.headDim();
    int kvDim = c.kvDim();
    int kvHead = h / c.groupSize();
    int qAt = b * c.queryDim() + h * hd;
    int span = position + b + 1;
    float[] keys = cache.keys(l);
    float[] values = cache.values(l);
    for (int t = 0; t < span; t++) {
      score[t] = dot(q, qAt, keys, t * kvDim + kvHead * hd, hd) * attentionScale;
    }
    softmax(score, 0, span);
    Arrays.fill(att, qAt, qAt + hd, 0f);
    for (int t = 0; t < span; t++) {
      axpy(score[t], values, t * kvDim + kvHead * hd, att, qAt, hd);
    }
  }

  /** Final norm and LM head for tokens {@code [first, first+count)} of the block. */
  private void logits(int count, int first, float[] out, int outToken) {
    int hidden = c.hiddenSize();
    for (int b = 0; b < count; b++) {
      rmsNorm(x, (first + b) * hidden, w.norm(), eps, xb, b * hidden, hidden);
    }
    int vocab = c.vocabSize();
    runner.forRange(
        vocab,
        (long) vocab * hidden * count,
        (chunk, s, e) ->
            matmul(w.lmHead(), xb, hidden, count, out, vocab, outToken * vocab, s, e, false));
  }

  @Override
  public void close() {
    // heap buffers only: nothing to free eagerly
  }
}
