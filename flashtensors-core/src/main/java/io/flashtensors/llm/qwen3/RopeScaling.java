package io.flashtensors.llm.qwen3;

import java.util.Locale;

/**
 * How rotary position embeddings are scaled, as {@code rope_parameters} (transformers 5.x) or
 * {@code rope_scaling} (4.x) describe it. Types other than those of {@link Type} are refused when
 * the config is read.
 *
 * @param type the rope type
 * @param factor the scaling factor (1 for {@link Type#DEFAULT})
 * @param originalMaxPositions YaRN: the context length of pre-training
 * @param attentionFactor YaRN: scale of cos/sin, or NaN to derive it from the factor (and mscale)
 * @param betaFast YaRN: rotations at which extrapolation ends (default 32)
 * @param betaSlow YaRN: rotations at which interpolation begins (default 1)
 * @param mscale YaRN: optional mscale (0: absent)
 * @param mscaleAllDim YaRN: optional mscale_all_dim (0: absent)
 * @param truncate YaRN: whether the correction range is rounded to whole dimensions (default true)
 */
public record RopeScaling(
    Type type,
    double factor,
    int originalMaxPositions,
    double attentionFactor,
    double betaFast,
    double betaSlow,
    double mscale,
    double mscaleAllDim,
    boolean truncate) {

  /** The rope types this engine implements, by their transformers names. */
  public enum Type {
    /** Plain RoPE: {@code inv_freq[j] = theta^(-2j/dim)}. */
    DEFAULT,
    /** Position interpolation: every frequency divided by the factor. */
    LINEAR,
    /** YaRN: interpolation on low frequencies, extrapolation on high ones, scaled cos/sin. */
    YARN;

    /** The type for a transformers {@code rope_type} name, or null when unsupported. */
    static Type fromName(String name) {
      return switch (name.toLowerCase(Locale.ROOT)) {
        case "default" -> DEFAULT;
        case "linear" -> LINEAR;
        case "yarn" -> YARN;
        default -> null;
      };
    }
  }

  /** No scaling. */
  public static final RopeScaling NONE =
      new RopeScaling(Type.DEFAULT, 1, 0, Double.NaN, 32, 1, 0, 0, true);
}
