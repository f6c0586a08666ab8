package io.flashtensors.cuda;

import java.lang.foreign.MemorySegment;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

/**
 * JCuda pointers for raw addresses. JCuda resolves a pointer as its native value plus its byte
 * offset, so a pointer of value 0 shifted by an address points at that address. This reaches memory
 * that JCuda did not allocate (FFM segments, slices of pinned slabs past 2 GiB) without the {@code
 * ByteBuffer} limits of JCuda's own factories.
 */
public final class CudaPointers {

  private CudaPointers() {}

  /** A host pointer to the first byte of a native (off-heap) segment. */
  public static Pointer host(MemorySegment segment) {
    if (!segment.isNative()) {
      throw new IllegalArgumentException(
          "host memory for CUDA copies must be native (off-heap), not a heap segment");
    }
    return new Pointer().withByteOffset(segment.address());
  }

  /** A device pointer to {@code address}, such as a tensor's {@code base + offset}. */
  public static CUdeviceptr device(long address) {
    return new CUdeviceptr().withByteOffset(address);
  }
}
