package io.flashtensors.llm.generate;

import java.util.List;

/**
 * Ends generation at the first occurrence of a stop text, which is not part of the output. While
 * streaming, it holds back the end of the text that could still grow into a stop text, and releases
 * the rest.
 */
final class StopSequenceFilter {

  private final List<String> stops;
  private final StringBuilder pending = new StringBuilder();
  private boolean matched;

  StopSequenceFilter(List<String> stops) {
    for (String s : stops) {
      if (s == null || s.isEmpty()) {
        throw new IllegalArgumentException("stop sequences must not be empty");
      }
    }
    this.stops = List.copyOf(stops);
  }

  /** Adds generated text; returns the text that can be released now. */
  String push(String piece) {
    if (matched) {
      return "";
    }
    pending.append(piece);
    if (stops.isEmpty()) {
      return drain(pending.length());
    }
    int first = -1;
    for (String stop : stops) {
      int at = pending.indexOf(stop);
      if (at >= 0 && (first < 0 || at < first)) {
        first = at;
      }
    }
    if (first >= 0) {
      matched = true;
      String out = pending.substring(0, first);
      pending.setLength(0);
      return out;
    }
    return drain(pending.length() - heldSuffix());
  }

  /** Whether a stop text was found. */
  boolean matched() {
    return matched;
  }

  /** The held-back text, released when generation ends without a stop text. */
  String flush() {
    return drain(pending.length());
  }

  /** Length of the longest end of {@code pending} that begins some stop text. */
  private int heldSuffix() {
    int longest = 0;
    for (String stop : stops) {
      int max = Math.min(stop.length() - 1, pending.length());
      for (int len = max; len > longest; len--) {
        if (endsWithPrefix(stop, len)) {
          longest = len;
          break;
        }
      }
    }
    return longest;
  }

  private boolean endsWithPrefix(String stop, int len) {
    int start = pending.length() - len;
    for (int i = 0; i < len; i++) {
      if (pending.charAt(start + i) != stop.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private String drain(int length) {
    String out = pending.substring(0, length);
    pending.delete(0, length);
    return out;
  }
}
