package io.flashtensors.llm.tokenizer;

import java.nio.charset.StandardCharsets;

/** UTF-8 helpers for decoding byte-level tokens. */
final class Utf8 {

  private Utf8() {}

  /**
   * Decodes with one U+FFFD for each maximal subpart of an ill-formed sequence (the Unicode
   * practice that Rust's {@code String::from_utf8_lossy}, behind Hugging Face's decoder, follows).
   * The JDK's decoder differs on encoded surrogates ({@code ED A0..BF xx} gives it one U+FFFD, Rust
   * three), so valid input takes the JDK's fast path and anything else this decoder.
   */
  static String decodeLossy(byte[] bytes, int offset, int length) {
    int end = offset + length;
    int i = offset;
    while (i < end && bytes[i] >= 0) {
      i++;
    }
    if (i == end) {
      return new String(bytes, offset, length, StandardCharsets.ISO_8859_1);
    }
    if (isWellFormed(bytes, i, end)) {
      return new String(bytes, offset, length, StandardCharsets.UTF_8);
    }
    StringBuilder out = new StringBuilder(length);
    for (int k = offset; k < i; k++) {
      out.append((char) bytes[k]);
    }
    while (i < end) {
      int b0 = bytes[i] & 0xFF;
      if (b0 < 0x80) {
        out.append((char) b0);
        i++;
        continue;
      }
      int needed = sequenceLength(b0);
      int valid = needed == 0 ? 0 : 1; // bytes of a well-formed prefix seen so far
      while (valid > 0
          && valid < needed
          && i + valid < end
          && inRange(b0, valid, bytes[i + valid])) {
        valid++;
      }
      if (needed > 0 && valid == needed) {
        int cp = b0 & (0xFF >> (needed + 1));
        for (int k = 1; k < needed; k++) {
          cp = (cp << 6) | (bytes[i + k] & 0x3F);
        }
        out.appendCodePoint(cp);
        i += needed;
      } else {
        out.append('\uFFFD');
        i += Math.max(1, valid);
      }
    }
    return out.toString();
  }

  private static boolean isWellFormed(byte[] bytes, int from, int end) {
    int i = from;
    while (i < end) {
      int b0 = bytes[i] & 0xFF;
      if (b0 < 0x80) {
        i++;
        continue;
      }
      int needed = sequenceLength(b0);
      if (needed == 0 || i + needed > end) {
        return false;
      }
      for (int k = 1; k < needed; k++) {
        if (!inRange(b0, k, bytes[i + k])) {
          return false;
        }
      }
      i += needed;
    }
    return true;
  }

  /** Whether the byte at position {@code index} (1..3) of a sequence led by {@code lead} fits. */
  private static boolean inRange(int lead, int index, byte value) {
    int b = value & 0xFF;
    int low = 0x80;
    int high = 0xBF;
    if (index == 1) {
      if (lead == 0xE0) {
        low = 0xA0;
      } else if (lead == 0xED) {
        high = 0x9F;
      } else if (lead == 0xF0) {
        low = 0x90;
      } else if (lead == 0xF4) {
        high = 0x8F;
      }
    }
    return b >= low && b <= high;
  }

  /**
   * How many of the first {@code length} bytes can be decoded now: all of them, except a trailing
   * sequence that is the valid beginning of a character whose remaining bytes have not arrived.
   */
  static int completePrefixLength(byte[] bytes, int length) {
    int lookBack = Math.min(3, length);
    for (int k = 1; k <= lookBack; k++) {
      int lead = bytes[length - k] & 0xFF;
      if (lead < 0x80) {
        return length; // ASCII: nothing after it can be waiting
      }
      if (lead < 0xC0) {
        continue; // a continuation byte: look further back for its lead
      }
      int needed = sequenceLength(lead);
      if (needed <= k || !validPrefix(bytes, length - k, length)) {
        return length; // complete, or invalid whatever comes next
      }
      return length - k;
    }
    return length;
  }

  /** Length of the sequence a lead byte starts, or 0 when it can start none. */
  private static int sequenceLength(int lead) {
    if (lead >= 0xC2 && lead <= 0xDF) {
      return 2;
    }
    if (lead >= 0xE0 && lead <= 0xEF) {
      return 3;
    }
    if (lead >= 0xF0 && lead <= 0xF4) {
      return 4;
    }
    return 0;
  }

  /** Whether bytes[from, to) can begin a well-formed sequence (lead byte at from). */
  private static boolean validPrefix(byte[] bytes, int from, int to) {
    int lead = bytes[from] & 0xFF;
    for (int i = from + 1; i < to; i++) {
      if (!inRange(lead, i - from, bytes[i])) {
        return false;
      }
    }
    return true;
  }
}
