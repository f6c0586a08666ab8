package io.flashtensors.cuda;

import static io.flashtensors.cuda.Cuda.check;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUuuid;
import jcuda.driver.JCudaDriver;

/**
 * One GPU: its identity (index, UUID, name), its size, and its primary context.
 *
 * <p>Instances come from {@link Cuda#device(int)} and live as long as the process; the primary
 * context is retained on first use and shared with every other CUDA user in the process.
 */
public final class CudaDevice {

  private final int index;
  private final CUdevice handle;
  private final String name;
  private final String uuid;
  private final long totalMemory;
  private final int computeMajor;
  private final int computeMinor;
  private volatile CudaContext context;

  private CudaDevice(
      int index,
      CUdevice handle,
      String name,
      String uuid,
      long totalMemory,
      int computeMajor,
      int computeMinor) {
    this.index = index;
    this.handle = handle;
    this.name = name;
    this.uuid = uuid;
    this.totalMemory = totalMemory;
    this.computeMajor = computeMajor;
    this.computeMinor = computeMinor;
  }

  static CudaDevice open(int index) {
    CUdevice device = new CUdevice();
    check(JCudaDriver.cuDeviceGet(device, index), "cuDeviceGet(" + index + ")");
    byte[] nameBytes = new byte[256];
    check(JCudaDriver.cuDeviceGetName(nameBytes, nameBytes.length, device), "cuDeviceGetName");
    int end = 0;
    while (end < nameBytes.length && nameBytes[end] != 0) {
      end++;
    }
    CUuuid id = new CUuuid();
    check(JCudaDriver.cuDeviceGetUuid(id, device), "cuDeviceGetUuid");
    long[] total = new long[1];
    check(JCudaDriver.cuDeviceTotalMem(total, device), "cuDeviceTotalMem");
    return new CudaDevice(
        index,
        device,
        new String(nameBytes, 0, end, StandardCharsets.US_ASCII),
        formatUuid(id.bytes),
        total[0],
        attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
        attribute(device, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR));
  }

  private static int attribute(CUdevice device, int attribute) {
    int[] value = new int[1];
    check(
        JCudaDriver.cuDeviceGetAttribute(value, attribute, device),
        "cuDeviceGetAttribute(" + attribute + ")");
    return value[0];
  }

  /**
   * The UUID as {@code nvidia-smi -L} prints it: {@code GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}.
   */
  static String formatUuid(byte[] bytes) {
    String hex = HexFormat.of().formatHex(bytes);
    return "GPU-%s-%s-%s-%s-%s"
        .formatted(
            hex.substring(0, 8),
            hex.substring(8, 12),
            hex.substring(12, 16),
            hex.substring(16, 20),
            hex.substring(20, 32));
  }

  /** The driver's index of this device. */
  public int index() {
    return index;
  }

  /** The device's UUID, stable across processes and {@code CUDA_VISIBLE_DEVICES} orders. */
  public String uuid() {
    return uuid;
  }

  /** Marketing name, such as {@code NVIDIA H100 80GB HBM3}. */
  public String name() {
    return name;
  }

  /** Device memory in bytes. */
  public long totalMemory() {
    return totalMemory;
  }

  /** Compute capability as {@code major.minor}, such as {@code 9.0}. */
  public String computeCapability() {
    return computeMajor + "." + computeMinor;
  }

  /** Compute capability major version (9 on Hopper). */
  public int computeCapabilityMajor() {
    return computeMajor;
  }

  /** Compute capability minor version. */
  public int computeCapabilityMinor() {
    return computeMinor;
  }

  /** The device's primary context, retained on first call. */
  public CudaContext context() {
    CudaContext c = context;
    if (c == null) {
      synchronized (this) {
        c = context;
        if (c == null) {
          CUcontext ctx = new CUcontext();
          check(
              JCudaDriver.cuDevicePrimaryCtxRetain(ctx, handle),
              "cuDevicePrimaryCtxRetain(device " + index + ")");
          c = new CudaContext(this, ctx);
          context = c;
        }
      }
    }
    return c;
  }

  /** Free and total memory now, from the driver. */
  public MemoryInfo memoryInfo() {
    return context().memoryInfo();
  }

  CUdevice handle() {
    return handle;
  }

  @Override
  public String toString() {
    return "GPU %d (%s, %s, %.1f GiB)"
        .formatted(index, name, uuid, totalMemory / (double) (1L << 30));
  }
}
