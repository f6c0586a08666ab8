package io.flashtensors.memory;

import java.lang.foreign.MemorySegment;

/**
 * One chunk of a {@link PinnedPool}: a fixed-size slice of a pinned slab, the unit that reader
 * threads fill and copy engines drain.
 *
 * @param index position in the pool, stable for the pool's life
 * @param segment the chunk's bytes
 */
public record PinnedChunk(int index, MemorySegment segment) {

  /** Size in bytes (the pool's chunk size). */
  public long byteSize() {
    return segment.byteSize();
  }
}
