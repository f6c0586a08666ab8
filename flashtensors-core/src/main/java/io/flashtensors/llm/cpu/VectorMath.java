package io.flashtensors.llm.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The arithmetic of the CPU engine: float32 math on heap arrays and matrix products with weights
 * read in place (BF16 widened to float32 in registers). Kernels work on a range of output rows so
 * that {@link ParallelRunner} can split them over cores; they allocate nothing.
 */
public final class VectorMath {

  static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Short> S =
      VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
  private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
  private static final int L = F.length();
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
  private static final ValueLayout.OfShort BF16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
  private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

  /**
   * Shuffles that move lane {@code i + half} to lane {@code i}, for {@code half = L/2, L/4, .., 1}:
   * the steps of {@link #sumLanes}.
   */
  private static final VectorShuffle<Float>[] FOLDS = folds();

  /** Tokens whose products with one weight row are computed together (the row is read once). */
  static final int TOKEN_GROUP = 4;

  private VectorMath() {}

  @SuppressWarnings("unchecked") // generic array of a final type
  private static VectorShuffle<Float>[] folds() {
    int steps = Integer.numberOfTrailingZeros(L);
    VectorShuffle<Float>[] folds = (VectorShuffle<Float>[]) new VectorShuffle<?>[steps];
    for (int k = 0, half = L / 2; k < steps; k++, half /= 2) {
      folds[k] = VectorShuffle.iota(F, half, 1, true);
    }
    return folds;
  }

  /**
   * The sum of a vector's lanes, always in the same order: a fixed pairwise tree of lanewise adds.
   * {@code reduceLanes(ADD)} leaves the order of float additions unspecified, and HotSpot's
   * compiled code does use another order than the interpreter, so the same dot product changed in
   * its last bits once the method was compiled: logits depended on how warm the JVM was. Lanewise
   * adds are exact IEEE operations in every tier, so this sum (and every logit) is reproducible.
   */
  static float sumLanes(FloatVector v) {
    for (VectorShuffle<Float> fold : FOLDS) {
      v = v.add(v.rearrange(fold));
    }
    return v.lane(0);
  }

  /**
   * {@code out[b*outStride + outOffset + r] (+)= dot(w[r], x[b*xStride ..])} for rows {@code [r0,
   * r1)} and tokens {@code [0, batch)}. With {@code accumulate} the product is added to {@code out}
   * (a fused residual add).
   */
  public static void matmul(
      WeightMatrix w,
      float[] x,
      int xStride,
      int batch,
      float[] out,
      int outStride,
      int outOffset,
      int r0,
      int r1,
      boolean accumulate) {
    int n = w.cols();
    MemorySegment seg = w.data();
    long rowSize = (long) n * (w.bf16() ? 2 : 4);
    // BF16 rows whose length is a multiple of two vectors are read as ints: the low halves are the
    // even elements, the high halves the odd ones, so the activations are de-interleaved to match
    // (once per call) and no widening conversion is needed.
    boolean pairs = w.bf16() && n % (2 * L) == 0;
    float[] xs = pairs ? deinterleaved(x, xStride, batch, n) : x;
    int stride = pairs ? n : xStride;
    float[] acc = new float[2 * TOKEN_GROUP];
    int r = r0;
    if (batch >= TOKEN_GROUP && w.bf16()) {
      // two rows by four tokens: each weight vector is loaded once for four tokens, each
      // activation vector once for two rows
      for (; r + 2 <= r1; r += 2) {
        int b = 0;
        for (; b + TOKEN_GROUP <= batch; b += TOKEN_GROUP) {
          if (pairs) {
            dot2x4Bf16Pairs(seg, r * rowSize, xs, b * stride, stride, n, acc);
          } else {
            dot2x4Bf16(seg, r * rowSize, xs, b * stride, stride, n, acc);
          }
          for (int j = 0; j < TOKEN_GROUP; j++) {
            store(out, (b + j) * outStride + outOffset + r, acc[j], accumulate);
            store(out, (b + j) * outStride + outOffset + r + 1, acc[TOKEN_GROUP + j], accumulate);
          }
        }
        for (; b < batch; b++) {
          for (int k = r; k < r + 2; k++) {
            store(
                out,
                b * outStride + outOffset + k,
                bf16Dot(pairs, seg, k * rowSize, xs, b * stride, n),
                accumulate);
          }
        }
      }
    }
    for (; r < r1; r++) {
      long rowBytes = r * rowSize;
      int b = 0;
      for (; b + TOKEN_GROUP <= batch; b += TOKEN_GROUP) {
        if (pairs) {
          dot4Bf16Pairs(seg, rowBytes, xs, b * stride, stride, n, acc);
        } else if (w.bf16()) {
          dot4Bf16(seg, rowBytes, xs, b * stride, stride, n, acc);
        } else {
          dot4F32(seg, rowBytes, xs, b * stride, stride, n, acc);
        }
        for (int j = 0; j < TOKEN_GROUP; j++) {
          store(out, (b + j) * outStride + outOffset + r, acc[j], accumulate);
        }
      }
      for (; b < batch; b++) {
        float d =
            w.bf16()
                ? bf16Dot(pairs, seg, rowBytes, xs, b * stride, n)
                : dotF32(seg, rowBytes, xs, b * stride, n);
        store(out, b * outStride + outOffset + r, d, accumulate);
      }
    }
  }

  private static float bf16Dot(
      boolean pairs, MemorySegment seg, long rowBytes, float[] x, int xo, int n) {
    return pairs ? dotBf16Pairs(seg, rowBytes, x, xo, n) : dotBf16(seg, rowBytes, x, xo, n);
  }

  private static final ThreadLocal<float[]> DEINTERLEAVED =
      ThreadLocal.withInitial(() -> new float[0]);

  /**
   * The tokens' activations, packed ({@code n} apart) and de-interleaved in blocks of {@code 2L}:
   * the even elements of a block, then its odd ones. A per-thread buffer, valid until the next call
   * on the thread.
   */
  private static float[] deinterleaved(float[] x, int xStride, int batch, int n) {
    float[] out = DEINTERLEAVED.get();
    if (out.length < batch * n) {
      out = new float[batch * n];
      DEINTERLEAVED.set(out);
    }
    for (int b = 0; b < batch; b++) {
      int src = b * xStride;
      int dst = b * n;
      for (int block = 0; block < n; block += 2 * L) {
        for (int j = 0; j < L; j++) {
          out[dst + block + j] = x[src + block + 2 * j];
          out[dst + block + L + j] = x[src + block + 2 * j + 1];
        }
      }
    }
    return out;
  }

  /** The even (low halves) and odd (high halves) BF16 elements of {@code 2L} packed values. */
  private static FloatVector even(IntVector v) {
    return v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
  }

  private static FloatVector odd(IntVector v) {
    return v.and(0xFFFF0000).reinterpretAsFloats();
  }

  private static IntVector pairs(MemorySegment seg, long byteOffset) {
    return IntVector.fromMemorySegment(I, seg, byteOffset, LE);
  }

  /** {@link #dotBf16} with de-interleaved activations; {@code n} is a multiple of {@code 2L}. */
  static float dotBf16Pairs(MemorySegment w, long rowBytes, float[] x, int xo, int n) {
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    FloatVector a2 = FloatVector.zero(F);
    FloatVector a3 = FloatVector.zero(F);
    int i = 0;
    for (; i + 4 * L <= n; i += 4 * L) {
      long o = rowBytes + 2L * i;
      IntVector v0 = pairs(w, o);
      IntVector v1 = pairs(w, o + 4L * L);
      a0 = even(v0).fma(FloatVector.fromArray(F, x, xo + i), a0);
      a1 = odd(v0).fma(FloatVector.fromArray(F, x, xo + i + L), a1);
      a2 = even(v1).fma(FloatVector.fromArray(F, x, xo + i + 2 * L), a2);
      a3 = odd(v1).fma(FloatVector.fromArray(F, x, xo + i + 3 * L), a3);
    }
    for (; i < n; i += 2 * L) {
      IntVector v = pairs(w, rowBytes + 2L * i);
      a0 = even(v).fma(FloatVector.fromArray(F, x, xo + i), a0);
      a1 = odd(v).fma(FloatVector.fromArray(F, x, xo + i + L), a1);
    }
    return sumLanes(a0.add(a1).add(a2.add(a3)));
  }

  /** {@link #dot4Bf16} with de-interleaved activations. */
  static void dot4Bf16Pairs(
      MemorySegment w, long rowBytes, float[] x, int xo, int xStride, int n, float[] out) {
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    FloatVector a2 = FloatVector.zero(F);
    FloatVector a3 = FloatVector.zero(F);
    int x1 = xo + xStride;
    int x2 = x1 + xStride;
    int x3 = x2 + xStride;
    for (int i = 0; i < n; i += 2 * L) {
      IntVector v = pairs(w, rowBytes + 2L * i);
      FloatVector e = even(v);
      FloatVector o = odd(v);
      a0 = e.fma(FloatVector.fromArray(F, x, xo + i), a0);
      a1 = e.fma(FloatVector.fromArray(F, x, x1 + i), a1);
      a2 = e.fma(FloatVector.fromArray(F, x, x2 + i), a2);
      a3 = e.fma(FloatVector.fromArray(F, x, x3 + i), a3);
      a0 = o.fma(FloatVector.fromArray(F, x, xo + i + L), a0);
      a1 = o.fma(FloatVector.fromArray(F, x, x1 + i + L), a1);
      a2 = o.fma(FloatVector.fromArray(F, x, x2 + i + L), a2);
      a3 = o.fma(FloatVector.fromArray(F, x, x3 + i + L), a3);
    }
    out[0] = sumLanes(a0);
    out[1] = sumLanes(a1);
    out[2] = sumLanes(a2);
    out[3] = sumLanes(a3);
  }

  /** {@link #dot2x4Bf16} with de-interleaved activations. */
  static void dot2x4Bf16Pairs(
      MemorySegment w, long rowBytes, float[] x, int xo, int xStride, int n, float[] out) {
    long row1 = rowBytes + 2L * n;
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    FloatVector a2 = FloatVector.zero(F);
    FloatVector a3 = FloatVector.zero(F);
    FloatVector c0 = FloatVector.zero(F);
    FloatVector c1 = FloatVector.zero(F);
    FloatVector c2 = FloatVector.zero(F);
    FloatVector c3 = FloatVector.zero(F);
    int x1 = xo + xStride;
    int x2 = x1 + xStride;
    int x3 = x2 + xStride;
    for (int i = 0; i < n; i += 2 * L) {
      IntVector p0 = pairs(w, rowBytes + 2L * i);
      IntVector p1 = pairs(w, row1 + 2L * i);
      for (int half = 0; half < 2; half++) {
        FloatVector w0 = half == 0 ? even(p0) : odd(p0);
        FloatVector w1 = half == 0 ? even(p1) : odd(p1);
        int at = i + half * L;
        FloatVector v = FloatVector.fromArray(F, x, xo + at);
        a0 = w0.fma(v, a0);
        c0 = w1.fma(v, c0);
        v = FloatVector.fromArray(F, x, x1 + at);
        a1 = w0.fma(v, a1);
        c1 = w1.fma(v, c1);
        v = FloatVector.fromArray(F, x, x2 + at);
        a2 = w0.fma(v, a2);
        c2 = w1.fma(v, c2);
        v = FloatVector.fromArray(F, x, x3 + at);
        a3 = w0.fma(v, a3);
        c3 = w1.fma(v, c3);
      }
    }
    out[0] = sumLanes(a0);
    out[1] = sumLanes(a1);
    out[2] = sumLanes(a2);
    out[3] = sumLanes(a3);
    out[4] = sumLanes(c0);
    out[5] = sumLanes(c1);
    out[6] = sumLanes(c2);
    out[7] = sumLanes(c3);
  }

  private static void store(float[] out, int index, float value, boolean accumulate) {
    out[index] = accumulate ? out[index] + value : value;
  }

  private static FloatVector bf16(MemorySegment seg, long byteOffset) {
    return ShortVector.fromMemorySegment(S, seg, byteOffset, LE)
        .convertShape(VectorOperators.S2I, I, 0)
        .reinterpretAsInts()
        .lanewise(VectorOperators.LSHL, 16)
        .reinterpretAsFloats();
  }

  /** Dot product of a BF16 weight row (at {@code rowBytes}) with {@code x[xo .. xo+n)}. */
  static float dotBf16(MemorySegment w, long rowBytes, float[] x, int xo, int n) {
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    FloatVector a2 = FloatVector.zero(F);
    FloatVector a3 = FloatVector.zero(F);
    int i = 0;
    for (; i + 4 * L <= n; i += 4 * L) {
      long o = rowBytes + 2L * i;
      a0 = bf16(w, o).fma(FloatVector.fromArray(F, x, xo + i), a0);
      a1 = bf16(w, o + 2L * L).fma(FloatVector.fromArray(F, x, xo + i + L), a1);
      a2 = bf16(w, o + 4L * L).fma(FloatVector.fromArray(F, x, xo + i + 2 * L), a2);
      a3 = bf16(w, o + 6L * L).fma(FloatVector.fromArray(F, x, xo + i + 3 * L), a3);
    }
    for (; i + L <= n; i += L) {
      a0 = bf16(w, rowBytes + 2L * i).fma(FloatVector.fromArray(F, x, xo + i), a0);
    }
    float sum = sumLanes(a0.add(a1).add(a2.add(a3)));
    for (; i < n; i++) {
      sum += WeightMatrix.bf16ToFloat(w.get(BF16, rowBytes + 2L * i)) * x[xo + i];
    }
    return sum;
  }

  /** Dot products of one BF16 weight row with four consecutive token vectors. */
  static void dot4Bf16(
      MemorySegment w, long rowBytes, float[] x, int xo, int xStride, int n, float[] out) {
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    FloatVector a2 = FloatVector.zero(F);
    FloatVector a3 = FloatVector.zero(F);
    int x1 = xo + xStride;
    int x2 = x1 + xStride;
    int x3 = x2 + xStride;
    int i = 0;
    for (; i + L <= n; i += L) {
      FloatVector wv = bf16(w, rowBytes + 2L * i);
      a0 = wv.fma(FloatVector.fromArray(F, x, xo + i), a0);
      a1 = wv.fma(FloatVector.fromArray(F, x, x1 + i), a1);
      a2 = wv.fma(FloatVector.fromArray(F, x, x2 + i), a2);
      a3 = wv.fma(FloatVector.fromArray(F, x, x3 + i), a3);
    }
    float s0 = sumLanes(a0);
    float s1 = sumLanes(a1);
    float s2 = sumLanes(a2);
    float s3 = sumLanes(a3);
    for (; i < n; i++) {
      float wi = WeightMatrix.bf16ToFloat(w.get(BF16, rowBytes + 2L * i));
      s0 += wi * x[xo + i];
      s1 += wi * x[x1 + i];
      s2 += wi * x[x2 + i];
      s3 += wi * x[x3 + i];
    }
    out[0] = s0;
    out[1] = s1;
    out[2] = s2;
    out[3] = s3;
  }

  /**
   * Dot products of two consecutive BF16 weight rows with four consecutive token vectors: {@code
   * out[0..4)} for the first row, {@code out[4..8)} for the second.
   */
  static void dot2x4Bf16(
      MemorySegment w, long rowBytes, float[] x, int xo, int xStride, int n, float[] out) {
    long row1 = rowBytes + 2L * n;
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    FloatVector a2 = FloatVector.zero(F);
    FloatVector a3 = FloatVector.zero(F);
    FloatVector c0 = FloatVector.zero(F);
    FloatVector c1 = FloatVector.zero(F);
    FloatVector c2 = FloatVector.zero(F);
    FloatVector c3 = FloatVector.zero(F);
    int x1 = xo + xStride;
    int x2 = x1 + xStride;
    int x3 = x2 + xStride;
    int i = 0;
    for (; i + L <= n; i += L) {
      FloatVector w0 = bf16(w, rowBytes + 2L * i);
      FloatVector w1 = bf16(w, row1 + 2L * i);
      FloatVector v = FloatVector.fromArray(F, x, xo + i);
      a0 = w0.fma(v, a0);
      c0 = w1.fma(v, c0);
      v = FloatVector.fromArray(F, x, x1 + i);
      a1 = w0.fma(v, a1);
      c1 = w1.fma(v, c1);
      v = FloatVector.fromArray(F, x, x2 + i);
      a2 = w0.fma(v, a2);
      c2 = w1.fma(v, c2);
      v = FloatVector.fromArray(F, x, x3 + i);
      a3 = w0.fma(v, a3);
      c3 = w1.fma(v, c3);
    }
    float[] s = {
      sumLanes(a0),
      sumLanes(a1),
      sumLanes(a2),
      sumLanes(a3),
      sumLanes(c0),
      sumLanes(c1),
      sumLanes(c2),
      sumLanes(c3)
    };
    for (; i < n; i++) {
      float wa = WeightMatrix.bf16ToFloat(w.get(BF16, rowBytes + 2L * i));
      float wb = WeightMatrix.bf16ToFloat(w.get(BF16, row1 + 2L * i));
      for (int j = 0; j < TOKEN_GROUP; j++) {
        float xv = x[xo + j * xStride + i];
        s[j] += wa * xv;
        s[TOKEN_GROUP + j] += wb * xv;
      }
    }
    System.arraycopy(s, 0, out, 0, 2 * TOKEN_GROUP);
  }

  /** Dot product of an F32 weight row (at {@code rowBytes}) with {@code x[xo .. xo+n)}. */
  static float dotF32(MemorySegment w, long rowBytes, float[] x, int xo, int n) {
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    int i = 0;
    for (; i + 2 * L <= n; i += 2 * L) {
      long o = rowBytes + 4L * i;
      a0 = FloatVector.fromMemorySegment(F, w, o, LE).fma(FloatVector.fromArray(F, x, xo + i), a0);
      a1 =
          FloatVector.fromMemorySegment(F, w, o + 4L * L, LE)
              .fma(FloatVector.fromArray(F, x, xo + i + L), a1);
    }
    for (; i + L <= n; i += L) {
      a0 =
          FloatVector.fromMemorySegment(F, w, rowBytes + 4L * i, LE)
              .fma(FloatVector.fromArray(F, x, xo + i), a0);
    }
    float sum = sumLanes(a0.add(a1));
    for (; i < n; i++) {
      sum += w.get(F32, rowBytes + 4L * i) * x[xo + i];
    }
    return sum;
  }

  /** Dot products of one F32 weight row with four consecutive token vectors. */
  static void dot4F32(
      MemorySegment w, long rowBytes, float[] x, int xo, int xStride, int n, float[] out) {
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    FloatVector a2 = FloatVector.zero(F);
    FloatVector a3 = FloatVector.zero(F);
    int x1 = xo + xStride;
    int x2 = x1 + xStride;
    int x3 = x2 + xStride;
    int i = 0;
    for (; i + L <= n; i += L) {
      FloatVector wv = FloatVector.fromMemorySegment(F, w, rowBytes + 4L * i, LE);
      a0 = wv.fma(FloatVector.fromArray(F, x, xo + i), a0);
      a1 = wv.fma(FloatVector.fromArray(F, x, x1 + i), a1);
      a2 = wv.fma(FloatVector.fromArray(F, x, x2 + i), a2);
      a3 = wv.fma(FloatVector.fromArray(F, x, x3 + i), a3);
    }
    float s0 = sumLanes(a0);
    float s1 = sumLanes(a1);
    float s2 = sumLanes(a2);
    float s3 = sumLanes(a3);
    for (; i < n; i++) {
      float wi = w.get(F32, rowBytes + 4L * i);
      s0 += wi * x[xo + i];
      s1 += wi * x[x1 + i];
      s2 += wi * x[x2 + i];
      s3 += wi * x[x3 + i];
    }
    out[0] = s0;
    out[1] = s1;
    out[2] = s2;
    out[3] = s3;
  }

  /** Dot product of two float arrays. */
  public static float dot(float[] a, int ao, float[] b, int bo, int n) {
    FloatVector acc = FloatVector.zero(F);
    int i = 0;
    for (; i + L <= n; i += L) {
      acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
    }
    float sum = sumLanes(acc);
    for (; i < n; i++) {
      sum += a[ao + i] * b[bo + i];
    }
    return sum;
  }

  /** {@code y[yo..yo+n) += a * x[xo..xo+n)}. */
  public static void axpy(float a, float[] x, int xo, float[] y, int yo, int n) {
    FloatVector av = FloatVector.broadcast(F, a);
    int i = 0;
    for (; i + L <= n; i += L) {
      FloatVector.fromArray(F, x, xo + i)
          .fma(av, FloatVector.fromArray(F, y, yo + i))
          .intoArray(y, yo + i);
    }
    for (; i < n; i++) {
      y[yo + i] += a * x[xo + i];
    }
  }

  /**
   * RMSNorm as transformers computes it in float32: {@code out = w * (x * 1/sqrt(mean(x^2) +
   * eps))}. {@code out} may be {@code x}.
   */
  public static void rmsNorm(
      float[] x, int xo, float[] weight, float eps, float[] out, int oo, int n) {
    float ss = dot(x, xo, x, xo, n);
    float scale = (float) (1.0 / Math.sqrt(ss / n + eps));
    int i = 0;
    FloatVector sv = FloatVector.broadcast(F, scale);
    for (; i + L <= n; i += L) {
      FloatVector.fromArray(F, x, xo + i)
          .mul(sv)
          .mul(FloatVector.fromArray(F, weight, i))
          .intoArray(out, oo + i);
    }
    for (; i < n; i++) {
      out[oo + i] = weight[i] * (x[xo + i] * scale);
    }
  }

  /** {@code gate[i] = silu(gate[i]) * up[i]} with {@code silu(g) = g / (1 + exp(-g))}. */
  public static void siluMul(float[] gate, int go, float[] up, int uo, int n) {
    for (int i = 0; i < n; i++) {
      float g = gate[go + i];
      gate[go + i] = g / (1f + (float) Math.exp(-g)) * up[uo + i];
    }
  }

  /** Softmax of {@code x[o..o+n)} in place, in float32 with the maximum subtracted first. */
  public static void softmax(float[] x, int o, int n) {
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      max = Math.max(max, x[o + i]);
    }
    float sum = 0;
    for (int i = 0; i < n; i++) {
      float e = (float) Math.exp(x[o + i] - max);
      x[o + i] = e;
      sum += e;
    }
    float inv = 1f / sum;
    for (int i = 0; i < n; i++) {
      x[o + i] *= inv;
    }
  }

  /** Adds {@code b} into {@code a}, element by element. */
  public static void add(float[] a, int ao, float[] b, int bo, int n) {
    int i = 0;
    for (; i + L <= n; i += L) {
      FloatVector.fromArray(F, a, ao + i)
          .add(FloatVector.fromArray(F, b, bo + i))
          .intoArray(a, ao + i);
    }
    for (; i < n; i++) {
      a[ao + i] += b[bo + i];
    }
  }
}
