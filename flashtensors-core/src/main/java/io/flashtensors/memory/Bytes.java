package io.flashtensors.memory;

import java.util.Locale;

/** Byte counts for people: {@code 15.26 GiB}, {@code 32 MiB}, {@code 512 B}. */
public final class Bytes {

  private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB"};

  private Bytes() {}

  /** {@code bytes} in the largest binary unit that keeps the number at least 1. */
  public static String format(long bytes) {
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
