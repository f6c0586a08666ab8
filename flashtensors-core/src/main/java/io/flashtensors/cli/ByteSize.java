package io.flashtensors.cli;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;

/**
 * Byte sizes as the command line writes them: {@code 4096}, {@code 32MB}, {@code 1GiB}, {@code
 * 1.5G}. Units are binary whatever their spelling (KB = KiB = K = 1024 bytes, as the Python
 * flashtensors and sllm-store read them); a plain number is bytes.
 */
public final class ByteSize {

  private static final Pattern SIZE =
      Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgtp]?)(i?b?)", Pattern.CASE_INSENSITIVE);

  private ByteSize() {}

  /** Parses a size, or throws {@link IllegalArgumentException} naming the text. */
  public static long parse(String text) {
    Matcher m = SIZE.matcher(text.strip());
    if (!m.matches() || (m.group(2).isEmpty() && m.group(3).equalsIgnoreCase("ib"))) {
      throw new IllegalArgumentException(
          "'%s' is not a size (examples: 4096, 32MB, 512KiB, 1GiB)".formatted(text));
    }
    String unit = m.group(2).toLowerCase(Locale.ROOT);
    int power = unit.isEmpty() ? 0 : "kmgtp".indexOf(unit.charAt(0)) + 1;
    BigDecimal value = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(1024).pow(power));
    try {
      return value.setScale(0, RoundingMode.CEILING).longValueExact();
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("'%s' is too large".formatted(text), e);
    }
  }

  /** A short human form: {@code 512 B}, {@code 32.0 MiB}, {@code 1.50 GiB}. */
  public static String format(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double value = bytes;
    int unit = -1;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return (value < 10 ? "%.2f %s" : "%.1f %s").formatted(value, units[unit]);
  }

  /** Picocli converter for size options. */
  public static final class Converter implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      return parse(value);
    }
  }
}
