package io.flashtensors.cuda;

import java.lang.foreign.MemorySegment;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

/**
 * JCuda pointers for raw addresses: memory that JCuda did not allocate (FFM segments, mapped files,
 * slices of slabs past 2 GiB), without the {@code ByteBuffer} limits of JCuda's own factories. A
 * host pointer carries the address as its native value (some JCuda calls, such as {@code
 * cuMemHostRegister}, refuse a pointer whose native value is 0); a device pointer is a pointer of
 * value 0 shifted by the address, which JCuda resolves the same way.
 */
public final class CudaPointers {

  private CudaPointers() {}

  /** A host pointer to the first byte of a native (off-heap) segment. */
  public static Pointer host(MemorySegment segment) {
    if (!segment.isNative()) {
      throw new IllegalArgumentException(
          "host memory for CUDA copies must be native (off-heap), not a heap segment");
    }
    return new AddressPointer(segment.address());
  }

  /** A JCuda pointer whose native value is a given address. */
  private static final class AddressPointer extends Pointer {
    AddressPointer(long address) {
      super(address);
    }
  }

  /** A device pointer to {@code address}, such as a tensor's {@code base + offset}. */
  public static CUdeviceptr device(long address) {
    return new CUdeviceptr().withByteOffset(address);
  }
}
