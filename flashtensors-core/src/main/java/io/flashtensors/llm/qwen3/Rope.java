package io.flashtensors.llm.qwen3;

/**
 * Rotary position embeddings in the Hugging Face ("rotate half", NeoX) layout: dimension {@code i}
 * of a head pairs with {@code i + headDim/2}, and both use frequency {@code invFreq[i]}.
 *
 * <p>Frequencies follow transformers' {@code modeling_rope_utils} for the default, linear and YaRN
 * types, computed in float32 like there; the angle {@code position * invFreq[i]} is a float32
 * product and cos/sin are multiplied by the attention scaling (1 except for YaRN).
 */
public final class Rope {

  private final float[] invFreq;
  private final float attentionScaling;

  public Rope(Qwen3Config config) {
    int dim = config.headDim();
    int half = dim / 2;
    RopeScaling scaling = config.ropeScaling();
    double base = config.ropeTheta();
    invFreq = new float[half];
    float[] posFreqs = new float[half];
    for (int j = 0; j < half; j++) {
      // torch: base ** (arange(0, dim, 2).float() / dim), in float32
      posFreqs[j] = (float) Math.pow(base, (float) (2 * j) / (float) dim);
    }
    float scale = 1f;
    switch (scaling.type()) {
      case DEFAULT -> {
        for (int j = 0; j < half; j++) {
          invFreq[j] = 1f / posFreqs[j];
        }
      }
      case LINEAR -> {
        for (int j = 0; j < half; j++) {
          invFreq[j] = (1f / posFreqs[j]) / (float) scaling.factor();
        }
      }
      case YARN -> scale = yarn(scaling, base, dim, posFreqs);
    }
    attentionScaling = scale;
  }

  private float yarn(RopeScaling s, double base, int dim, float[] posFreqs) {
    double factor = s.factor();
    double attentionFactor = s.attentionFactor();
    if (Double.isNaN(attentionFactor)) {
      attentionFactor =
          s.mscale() != 0 && s.mscaleAllDim() != 0
              ? mscale(factor, s.mscale()) / mscale(factor, s.mscaleAllDim())
              : mscale(factor, 1);
    }
    double low = correctionDim(s.betaFast(), dim, base, s.originalMaxPositions());
    double high = correctionDim(s.betaSlow(), dim, base, s.originalMaxPositions());
    if (s.truncate()) {
      low = Math.floor(low);
      high = Math.ceil(high);
    }
    low = Math.max(low, 0);
    high = Math.min(high, dim - 1);
    if (low == high) {
      high += 0.001; // as transformers: avoids a division by zero
    }
    for (int j = 0; j < invFreq.length; j++) {
      float ramp = (float) ((j - low) / (high - low));
      ramp = Math.min(Math.max(ramp, 0f), 1f);
      float extrapolationFactor = 1f - ramp;
      float extrapolation = 1f / posFreqs[j];
      float interpolation = 1f / ((float) factor * posFreqs[j]);
      invFreq[j] = interpolation * (1f - extrapolationFactor) + extrapolation * extrapolationFactor;
    }
    return (float) attentionFactor;
  }

  private static double mscale(double scale, double mscale) {
    return scale <= 1 ? 1.0 : 0.1 * mscale * Math.log(scale) + 1.0;
  }

  private static double correctionDim(double rotations, int dim, double base, int maxPositions) {
    return (dim * Math.log(maxPositions / (rotations * 2 * Math.PI))) / (2 * Math.log(base));
  }

  /** Inverse frequencies, one per pair of dimensions ({@code headDim/2} values). */
  public float[] invFreq() {
    return invFreq.clone();
  }

  /** Factor applied to cos and sin (YaRN's attention factor; 1 otherwise). */
  public float attentionScaling() {
    return attentionScaling;
  }

  /** Fills {@code cos[at .. at+half)} and {@code sin[at .. at+half)} for one position. */
  public void cosSin(int position, float[] cos, float[] sin, int at) {
    for (int j = 0; j < invFreq.length; j++) {
      float angle = (float) position * invFreq[j];
      cos[at + j] = (float) Math.cos(angle) * attentionScaling;
      sin[at + j] = (float) Math.sin(angle) * attentionScaling;
    }
  }

  /**
   * Rotates one head in place: {@code x' = x*cos + rotate_half(x)*sin}, with {@code rotate_half([a,
   * b]) = [-b, a]}; cos and sin start at {@code at}.
   */
  public static void rotate(float[] x, int offset, int headDim, float[] cos, float[] sin, int at) {
    int half = headDim / 2;
    for (int j = 0; j < half; j++) {
      float a = x[offset + j];
      float b = x[offset + half + j];
      x[offset + j] = a * cos[at + j] - b * sin[at + j];
      x[offset + half + j] = b * cos[at + j] + a * sin[at + j];
    }
  }
}
