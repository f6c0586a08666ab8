package io.flashtensors.llm.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The kernels against plain double-precision loops, on sizes that exercise every tail. */
class VectorMathTest {

  private static final ValueLayout.OfShort SHORT =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfFloat FLOAT =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  @Test
  void matmulMatchesAPlainLoopForEveryShapeAndBatch() {
    SplittableRandom random = new SplittableRandom(3);
    try (Arena arena = Arena.ofConfined()) {
      for (boolean bf16 : new boolean[] {true, false}) {
        for (int cols : new int[] {1, 7, 8, 9, 16, 31, 32, 33, 48, 64, 80, 100, 1024}) {
          for (int rows : new int[] {1, 2, 5}) {
            MemorySegment seg = arena.allocate((long) rows * cols * (bf16 ? 2 : 4), 8);
            double[][] w = new double[rows][cols];
            for (int r = 0; r < rows; r++) {
              for (int c = 0; c < cols; c++) {
                float f = (float) random.nextGaussian();
                long i = (long) r * cols + c;
                if (bf16) {
                  short bits = (short) (Float.floatToIntBits(f) >>> 16);
                  seg.setAtIndex(SHORT, i, bits);
                  w[r][c] = Float.intBitsToFloat(bits << 16);
                } else {
                  seg.setAtIndex(FLOAT, i, f);
                  w[r][c] = f;
                }
              }
            }
            WeightMatrix m = new WeightMatrix(seg, bf16, rows, cols);
            for (int batch = 1; batch <= 9; batch++) {
              int xStride = cols + 3;
              float[] x = new float[batch * xStride];
              for (int i = 0; i < x.length; i++) {
                x[i] = (float) random.nextGaussian();
              }
              int outStride = rows + 2;
              float[] out = new float[batch * outStride + 1];
              for (int i = 0; i < out.length; i++) {
                out[i] = 0.5f;
              }
              VectorMath.matmul(m, x, xStride, batch, out, outStride, 1, 0, rows, true);
              for (int b = 0; b < batch; b++) {
                for (int r = 0; r < rows; r++) {
                  double want = 0.5;
                  for (int c = 0; c < cols; c++) {
                    want += w[r][c] * x[b * xStride + c];
                  }
                  assertThat((double) out[b * outStride + 1 + r])
                      .as(
                          "bf16=%s cols=%d rows=%d batch=%d b=%d r=%d",
                          bf16, cols, rows, batch, b, r)
                      .isCloseTo(
                          want, org.assertj.core.data.Offset.offset(1e-4 * (1 + Math.sqrt(cols))));
                }
              }
            }
          }
        }
      }
    }
  }

  @Test
  void dotShouldGiveTheSameBitsInterpretedAndCompiled() {
    SplittableRandom random = new SplittableRandom(5);
    int n = 1003;
    float[] a = new float[n];
    float[] b = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) random.nextGaussian();
      b[i] = (float) random.nextGaussian();
    }
    // The documented order: one fused multiply-add chain per lane, a pairwise tree over the
    // lanes, then the tail in sequence.
    int lanes = VectorMath.F.length();
    float[] acc = new float[lanes];
    int body = n - n % lanes;
    for (int i = 0; i < body; i++) {
      acc[i % lanes] = Math.fma(a[i], b[i], acc[i % lanes]);
    }
    for (int half = lanes / 2; half >= 1; half /= 2) {
      float[] folded = new float[lanes];
      for (int j = 0; j < lanes; j++) {
        folded[j] = acc[j] + acc[(j + half) % lanes];
      }
      acc = folded;
    }
    float want = acc[0];
    for (int i = body; i < n; i++) {
      want += a[i] * b[i];
    }

    // Enough calls for HotSpot to compile dot (the interpreter runs the first ones): a lane
    // reduction whose order changes with the tier changes the last bits here.
    for (int call = 0; call < 50_000; call++) {
      float got = VectorMath.dot(a, 0, b, 0, n);
      if (Float.floatToRawIntBits(got) != Float.floatToRawIntBits(want)) {
        assertThat(got).as("call %d", call).isEqualTo(want);
      }
    }
  }

  @Test
  void rmsNormSoftmaxSiluAndAxpyMatchTheirDefinitions() {
    float[] x = {1, -2, 3, 0.5f, -0.25f, 7, 2, -1, 4};
    float[] w = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    float[] out = new float[x.length];
    VectorMath.rmsNorm(x, 0, w, 1e-6f, out, 0, x.length);
    double ms = 0;
    for (float v : x) {
      ms += v * v;
    }
    double scale = 1 / Math.sqrt(ms / x.length + 1e-6);
    for (int i = 0; i < x.length; i++) {
      assertThat((double) out[i])
          .isCloseTo(w[i] * x[i] * scale, org.assertj.core.data.Offset.offset(1e-5));
    }

    float[] s = {1, 2, 3};
    VectorMath.softmax(s, 0, 3);
    double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
    assertThat((double) s[2]).isCloseTo(Math.exp(3) / z, org.assertj.core.data.Offset.offset(1e-6));

    float[] g = {-2, 0, 3};
    float[] u = {2, 5, 0.5f};
    VectorMath.siluMul(g, 0, u, 0, 3);
    assertThat((double) g[0])
        .isCloseTo(-2 / (1 + Math.exp(2)) * 2, org.assertj.core.data.Offset.offset(1e-6));
    assertThat(g[1]).isZero();
    assertThat((double) g[2])
        .isCloseTo(3 / (1 + Math.exp(-3)) * 0.5, org.assertj.core.data.Offset.offset(1e-6));

    float[] y = new float[11];
    float[] xs = new float[11];
    for (int i = 0; i < 11; i++) {
      xs[i] = i;
      y[i] = 1;
    }
    VectorMath.axpy(2, xs, 0, y, 0, 11);
    assertThat(y[10]).isEqualTo(21f);
    assertThat(VectorMath.dot(xs, 0, xs, 0, 11)).isEqualTo(385f);
  }
}
