package io.flashtensors.llm.chat;

import java.math.BigDecimal;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * Writes JSON exactly as Python's {@code json.dumps(x, ensure_ascii=False)} does, which is what the
 * {@code tojson} filter of transformers' chat templates calls: {@code ", "} and {@code ": "}
 * separators, keys in their given order, non-ASCII characters as they are, floats as Python's
 * {@code repr} writes them ({@code 1.0}, {@code 1e-05}, {@code 1e+16}).
 */
public final class PythonJson {

  private PythonJson() {}

  /** The Python {@code json.dumps} text of a JSON value. */
  public static String dumps(JsonNode node) {
    StringBuilder out = new StringBuilder();
    write(node, out);
    return out.toString();
  }

  private static void write(JsonNode node, StringBuilder out) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      out.append("null");
    } else if (node.isObject()) {
      out.append('{');
      boolean first = true;
      for (Map.Entry<String, JsonNode> entry : node.properties()) {
        if (!first) {
          out.append(", ");
        }
        first = false;
        writeString(entry.getKey(), out);
        out.append(": ");
        write(entry.getValue(), out);
      }
      out.append('}');
    } else if (node.isArray()) {
      out.append('[');
      for (int i = 0; i < node.size(); i++) {
        if (i > 0) {
          out.append(", ");
        }
        write(node.get(i), out);
      }
      out.append(']');
    } else if (node.isString()) {
      writeString(node.stringValue(), out);
    } else if (node.isBoolean()) {
      out.append(node.booleanValue() ? "true" : "false");
    } else if (node.isIntegralNumber()) {
      out.append(node.bigIntegerValue());
    } else if (node.isNumber()) {
      out.append(pythonFloat(node.doubleValue()));
    } else {
      throw new IllegalArgumentException("cannot write JSON node of type " + node.getNodeType());
    }
  }

  /** A string literal with Python's escapes: the short ones, else \\u00XX for control chars. */
  static void writeString(String s, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  /** Python's {@code repr(float)}: shortest round-trip digits, exponent below 1e-4 or from 1e16. */
  static String pythonFloat(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    }
    if (d == 0) {
      return (1 / d < 0) ? "-0.0" : "0.0";
    }
    // Double.toString gives the shortest digits that round-trip (JDK 19+), in its own layout.
    BigDecimal exact = new BigDecimal(Double.toString(d)).stripTrailingZeros();
    String digits = exact.unscaledValue().abs().toString();
    int exponent = digits.length() - 1 - exact.scale(); // d = d.igits * 10^exponent
    if (digits.length() == 2) {
      // Java prints at least two digits (4.9E-324); Python the shortest that round-trips (5e-324).
      int rounded = (digits.charAt(0) - '0') + (digits.charAt(1) >= '5' ? 1 : 0);
      String shorter = rounded == 10 ? "1" : Integer.toString(rounded);
      int shorterExponent = rounded == 10 ? exponent + 1 : exponent;
      if (Double.parseDouble(shorter + "e" + shorterExponent) == Math.abs(d)) {
        digits = shorter;
        exponent = shorterExponent;
      }
    }
    String sign = d < 0 ? "-" : "";
    if (exponent < -4 || exponent >= 16) {
      String mantissa =
          digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
      String exp = String.format("%02d", Math.abs(exponent));
      return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + exp;
    }
    if (exponent < 0) {
      return sign + "0." + "0".repeat(-exponent - 1) + digits;
    }
    if (digits.length() <= exponent + 1) {
      return sign + digits + "0".repeat(exponent + 1 - digits.length()) + ".0";
    }
    return sign + digits.substring(0, exponent + 1) + "." + digits.substring(exponent + 1);
  }
}
