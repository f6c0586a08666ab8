package io.flashtensors.load;

import java.util.Locale;
import java.util.Objects;

/**
 * Where tensors go: host memory ({@code cpu}) or a GPU ({@code cuda:N}).
 *
 * @param kind host or GPU
 * @param index GPU index (0 for the host)
 */
public record Device(Kind kind, int index) {

  /** Host memory. */
  public static final Device CPU = new Device(Kind.CPU, 0);

  /** Kind of device. */
  public enum Kind {
    /** Host memory. */
    CPU,
    /** An NVIDIA GPU, by index. */
    CUDA
  }

  public Device {
    Objects.requireNonNull(kind, "kind");
    if (index < 0 || (kind == Kind.CPU && index != 0)) {
      throw new IllegalArgumentException("invalid device index " + index + " for " + kind);
    }
  }

  /** GPU number {@code index}. */
  public static Device cuda(int index) {
    return new Device(Kind.CUDA, index);
  }

  /**
   * Parses a device as Hugging Face device maps write it: {@code cpu}, {@code cuda}, {@code
   * cuda:1}, or a bare GPU index such as {@code 0}.
   */
  public static Device parse(String text) {
    String s = text.strip().toLowerCase(Locale.ROOT);
    if (s.equals("cpu")) {
      return CPU;
    }
    if (s.equals("cuda")) {
      return cuda(0);
    }
    if (s.startsWith("gpu-")) {
      // A UUID as nvidia-smi -L prints it: the same GPU whatever CUDA_VISIBLE_DEVICES does.
      return cuda(io.flashtensors.cuda.Cuda.device(text.strip()).index());
    }
    String number = s.startsWith("cuda:") ? s.substring(5) : s;
    try {
      int index = Integer.parseInt(number);
      if (index >= 0) {
        return cuda(index);
      }
    } catch (NumberFormatException ignored) {
      // fall through to the error
    }
    throw new IllegalArgumentException(
        "unknown device '"
            + text
            + "' (expected cpu, cuda, cuda:N, a GPU index, or a GPU UUID such as GPU-5c3c…)");
  }

  /** True for host memory. */
  public boolean isCpu() {
    return kind == Kind.CPU;
  }

  @Override
  public String toString() {
    return kind == Kind.CPU ? "cpu" : "cuda:" + index;
  }
}
