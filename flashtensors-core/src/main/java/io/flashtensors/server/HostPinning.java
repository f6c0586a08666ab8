package io.flashtensors.server;

import java.lang.foreign.MemorySegment;
import java.util.List;

/** Page-locks host memory so that the GPU's copy engines read it directly. */
@FunctionalInterface
public interface HostPinning {

  /** Pins nothing (no GPU, or pinning switched off). */
  HostPinning NONE = segments -> () -> {};

  /**
   * Pins the segments.
   *
   * @return unpins them; called before the memory is freed
   */
  AutoCloseable pin(List<MemorySegment> segments);
}
