package io.flashtensors.cuda;

import static jcuda.driver.CUresult.CUDA_SUCCESS;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * Entry point of the CUDA layer: finds out once whether CUDA can be used, and hands out devices by
 * index or UUID.
 *
 * <p>CUDA is optional at run time. Without an NVIDIA driver or device, {@link #isAvailable()} is
 * false, nothing else in the project is affected, and every GPU request fails with the same {@link
 * CudaUnavailableException} naming the reason.
 */
public final class Cuda {

  private static final Object LOCK = new Object();
  private static volatile CudaAvailability availability;
  private static volatile Throwable probeFailure;
  private static CudaDevice[] devices;

  private Cuda() {}

  /** Probes the driver on first use, then answers from memory. */
  public static CudaAvailability availability() {
    CudaAvailability known = availability;
    if (known == null) {
      synchronized (LOCK) {
        known = availability;
        if (known == null) {
          known = probe();
          availability = known;
        }
      }
    }
    return known;
  }

  /** Whether a CUDA driver and at least one device can be used. */
  public static boolean isAvailable() {
    return availability().available();
  }

  /** Throws {@link CudaUnavailableException} with the reason unless CUDA can be used. */
  public static void requireAvailable() {
    CudaAvailability a = availability();
    if (!a.available()) {
      throw new CudaUnavailableException(a.reason(), a.result(), probeFailure);
    }
  }

  /** Number of visible devices; 0 when CUDA is unavailable. */
  public static int deviceCount() {
    return availability().deviceCount();
  }

  /** All visible devices, in the driver's order. */
  public static List<CudaDevice> devices() {
    List<CudaDevice> all = new ArrayList<>();
    for (int i = 0; i < deviceCount(); i++) {
      all.add(device(i));
    }
    return List.copyOf(all);
  }

  /** The device of driver index {@code index} (the order {@code CUDA_VISIBLE_DEVICES} leaves). */
  public static CudaDevice device(int index) {
    requireAvailable();
    int count = deviceCount();
    if (index < 0 || index >= count) {
      throw new IllegalArgumentException(
          "GPU index %d is out of range: %d device(s) visible (indices 0..%d)"
              .formatted(index, count, count - 1));
    }
    synchronized (LOCK) {
      if (devices == null) {
        devices = new CudaDevice[count];
      }
      if (devices[index] == null) {
        devices[index] = CudaDevice.open(index);
      }
      return devices[index];
    }
  }

  /**
   * The device a specification names: an index ({@code "1"}), {@code "cuda"} (device 0), {@code
   * "cuda:1"}, or a UUID as {@code nvidia-smi -L} prints it ({@code "GPU-5c3c…"}; a unique prefix
   * is enough). UUIDs stay the same whatever {@code CUDA_VISIBLE_DEVICES} does to indices.
   */
  public static CudaDevice device(String spec) {
    String s = spec.strip();
    String lower = s.toLowerCase(Locale.ROOT);
    if (lower.equals("cuda") || lower.equals("gpu")) {
      return device(0);
    }
    Integer index = parseIndex(lower);
    if (index != null) {
      return device(index);
    }
    if (lower.startsWith("gpu-")) {
      requireAvailable();
      List<CudaDevice> matches = new ArrayList<>();
      for (CudaDevice d : devices()) {
        if (d.uuid().toLowerCase(Locale.ROOT).startsWith(lower)) {
          matches.add(d);
        }
      }
      if (matches.size() == 1) {
        return matches.getFirst();
      }
      throw new IllegalArgumentException(
          (matches.isEmpty() ? "no GPU has UUID '%s'" : "UUID prefix '%s' is ambiguous")
                  .formatted(s)
              + "; visible: "
              + devices().stream().map(d -> d.index() + "=" + d.uuid()).toList());
    }
    throw new IllegalArgumentException(
        "not a GPU: '%s' (expected an index such as 0, cuda:0, or a UUID such as GPU-…)"
            .formatted(s));
  }

  /** The index in {@code "3"} or {@code "cuda:3"}, or null when {@code spec} is neither. */
  static Integer parseIndex(String spec) {
    String digits = spec.startsWith("cuda:") ? spec.substring(5) : spec;
    if (digits.isEmpty() || digits.length() > 4 || !digits.chars().allMatch(Character::isDigit)) {
      return null;
    }
    return Integer.parseInt(digits);
  }

  /** Throws {@link CudaException} naming {@code operation} unless {@code result} is success. */
  static void check(int result, String operation) {
    if (result != CUDA_SUCCESS) {
      throw new CudaException(operation, result);
    }
  }

  private static CudaAvailability probe() {
    try {
      int rc = JCudaDriver.cuInit(0);
      if (rc != CUDA_SUCCESS) {
        return CudaAvailability.unavailable(
            "cuInit failed: " + CUresult.stringFor(rc) + hint(rc), rc);
      }
      int[] count = new int[1];
      rc = JCudaDriver.cuDeviceGetCount(count);
      if (rc != CUDA_SUCCESS) {
        return CudaAvailability.unavailable(
            "cuDeviceGetCount failed: " + CUresult.stringFor(rc), rc);
      }
      if (count[0] == 0) {
        return CudaAvailability.unavailable(
            "the driver reports no CUDA device", CUresult.CUDA_ERROR_NO_DEVICE);
      }
      int[] version = new int[1];
      rc = JCudaDriver.cuDriverGetVersion(version);
      return new CudaAvailability(true, "", CUDA_SUCCESS, count[0], rc == 0 ? version[0] : 0);
    } catch (LinkageError e) {
      // UnsatisfiedLinkError on the first use, NoClassDefFoundError on later ones.
      probeFailure = e;
      return CudaAvailability.unavailable(describe(e), CudaException.NO_RESULT);
    }
  }

  /** CUDA's code 35; JCuda 12.6's CUresult has no constant for it. */
  private static final int CUDA_ERROR_INSUFFICIENT_DRIVER = 35;

  private static String hint(int rc) {
    if (rc == CUresult.CUDA_ERROR_NO_DEVICE) {
      return " (no CUDA-capable device is visible; check CUDA_VISIBLE_DEVICES)";
    }
    if (rc == CUDA_ERROR_INSUFFICIENT_DRIVER) {
      return " (the NVIDIA driver is older than CUDA 12.6 needs)";
    }
    if (rc == CUresult.CUDA_ERROR_STUB_LIBRARY) {
      return " (libcuda.so.1 is the toolkit's stub, not a real driver)";
    }
    return "";
  }

  /** One line saying why JCuda's native library did not load. */
  static String describe(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String message = String.valueOf(t.getMessage());
      if (message.contains("libcuda.so")) {
        return "the NVIDIA driver library libcuda.so.1 was not found (no NVIDIA driver on this"
            + " machine?)";
      }
      if (message.contains("nvcuda.dll")) {
        return "the NVIDIA driver library nvcuda.dll was not found (no NVIDIA driver on this"
            + " machine?)";
      }
    }
    String first = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
    return "JCuda's native driver library could not be loaded: " + first;
  }
}
