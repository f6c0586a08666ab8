package io.flashtensors.load.gpu;

/** How the pinned pool's slabs are made. */
public enum PinnedMemory {
  /** {@code cuMemHostAlloc}: the driver allocates and pins. */
  HOST_ALLOC,
  /**
   * Anonymous {@code mmap} with transparent huge pages, pinned by {@code cuMemHostRegister}: fewer,
   * larger pages for the kernel to pin and the GPU to map, where the kernel grants huge pages.
   */
  REGISTERED
}
