package io.flashtensors.memory;

import java.lang.foreign.MemorySegment;

/**
 * One block of host memory, typically page-locked (pinned) so that the GPU's copy engines can read
 * it directly. Closing it frees the memory; its segment is unusable afterwards.
 */
public interface HostSlab extends AutoCloseable {

  /** The slab's bytes. */
  MemorySegment segment();

  /** Frees the memory. Closing twice does nothing. */
  @Override
  void close();
}
