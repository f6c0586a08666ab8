package io.flashtensors.util;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte sizes as people write and read them, the one grammar of every size flashtensors takes
 * (command-line flags, {@code FLASHTENSORS_*} variables, the config file, benchmark arguments).
 *
 * <p>A size is a number, optionally with a fraction, and an optional unit: {@code K}, {@code M},
 * {@code G}, {@code T}, {@code P} or {@code E}, alone or followed by {@code B}, {@code iB} or
 * {@code i}, in any case, with spaces allowed around the number and before the unit: {@code 4096},
 * {@code 4096B}, {@code 32MB}, {@code 32MiB}, {@code 32Mi}, {@code 16g}, {@code 4GB}, {@code 1.5G},
 * {@code 512 KiB}. Units are binary whatever their spelling (KB = KiB = K = 1024 bytes, as
 * sllm-store and the Python flashtensors read them), so {@code 32MB} is a power of two. A plain
 * number is bytes; a fraction is rounded up to a whole byte.
 */
public final class ByteSize {

  private static final Pattern SIZE =
      Pattern.compile(
          "\\s*(\\d+(?:\\.\\d+)?)\\s*(?:([KMGTPE])(?:iB|i|B)?|B)?\\s*", Pattern.CASE_INSENSITIVE);

  private static final String UNIT_LETTERS = "KMGTPE";
  private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

  private ByteSize() {}

  /**
   * Parses a size.
   *
   * @throws IllegalArgumentException naming the text when it is not a size or does not fit a long
   */
  public static long parse(String text) {
    Matcher m = SIZE.matcher(text == null ? "" : text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'%s' is not a size (examples: 4096, 32MB, 512KiB, 16g, 1.5GiB)".formatted(text));
    }
    int power =
        m.group(2) == null ? 0 : UNIT_LETTERS.indexOf(m.group(2).toUpperCase(Locale.ROOT)) + 1;
    BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(1024).pow(power));
    try {
      return bytes.setScale(0, RoundingMode.CEILING).longValueExact();
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(
          "'%s' is too large (at most %s)".formatted(text, format(Long.MAX_VALUE)), e);
    }
  }

  /**
   * A short form for people, with a binary unit and three significant digits or so: {@code 512 B},
   * {@code 1.0 KiB}, {@code 32.0 MiB}, {@code 782 KiB}, {@code 1.5 GiB}.
   */
  public static String format(long bytes) {
    if (Math.abs(bytes) < 1024) {
      return bytes + " B";
    }
    double value = bytes;
    int unit = 0;
    // A value that rounds to 1024 is shown in the next unit (1.0 MiB, not 1024 KiB).
    while (Math.abs(value) >= 1023.5 && unit < UNITS.length - 1) {
      value /= 1024;
      unit++;
    }
    return String.format(
        Locale.ROOT, Math.abs(value) >= 99.95 ? "%.0f %s" : "%.1f %s", value, UNITS[unit]);
  }

  /**
   * A form for messages that compare sizes, where rounding would hide the difference: whole numbers
   * of the largest unit as they are, others with two decimals: {@code 512 B}, {@code 32 MiB},
   * {@code 782 KiB}, {@code 15.26 GiB}.
   */
  public static String formatPrecise(long bytes) {
    double value = bytes;
    int unit = 0;
    while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
      value /= 1024;
      unit++;
    }
    if (unit == 0 || value == Math.rint(value)) {
      return String.format(Locale.ROOT, "%d %s", (long) value, UNITS[unit]);
    }
    return String.format(Locale.ROOT, "%.2f %s", value, UNITS[unit]);
  }
}
