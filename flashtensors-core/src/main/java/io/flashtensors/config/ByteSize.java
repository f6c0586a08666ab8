package io.flashtensors.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte counts as users write them: {@code 30GB}, {@code 32MB}, {@code 512KiB}, {@code 1.5G}, {@code
 * 4096}. Units are binary (KB = KiB = 1024 bytes), as in sllm-store's command line, so that {@code
 * 32MB} is exactly a power of two.
 */
public final class ByteSize {

  private static final Pattern SIZE =
      Pattern.compile("\\s*(\\d+(?:\\.\\d+)?)\\s*([KMGTP]?)(I?B)?\\s*", Pattern.CASE_INSENSITIVE);

  private ByteSize() {}

  /**
   * Parses a size.
   *
   * @throws IllegalArgumentException naming the text when it is not a size or overflows a long
   */
  public static long parse(String text) {
    Matcher m = SIZE.matcher(text == null ? "" : text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a size (examples: 30GB, 32MB, 512KiB, 4096)");
    }
    String unit = m.group(2).toUpperCase(Locale.ROOT);
    int shift =
        switch (unit) {
          case "" -> 0;
          case "K" -> 10;
          case "M" -> 20;
          case "G" -> 30;
          case "T" -> 40;
          default -> 50;
        };
    if (unit.isEmpty() && m.group(3) != null && m.group(3).length() > 1) {
      throw new IllegalArgumentException("'" + text + "' is not a size (a unit like KiB or MB)");
    }
    java.math.BigDecimal bytes =
        new java.math.BigDecimal(m.group(1)).multiply(java.math.BigDecimal.valueOf(2).pow(shift));
    if (bytes.compareTo(java.math.BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
      throw new IllegalArgumentException("'" + text + "' is too large");
    }
    return bytes.longValue();
  }

  /** A short human form with a binary unit: {@code 30.0 GiB}, {@code 512 B}. */
  public static String format(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double value = bytes;
    int unit = -1;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return String.format(Locale.ROOT, value >= 100 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  }
}
