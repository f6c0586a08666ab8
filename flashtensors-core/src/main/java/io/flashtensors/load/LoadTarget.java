package io.flashtensors.load;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * Where a load puts the bytes: the extension point of the load pipeline.
 *
 * <p>The loader makes a {@link LoadPlan}, calls {@link #begin} once, then its reader threads loop:
 * {@link #acquire} a buffer for a chunk, read the chunk's bytes into it (and verify their
 * checksums), {@link #complete} it. Chunks complete in whatever order the reads finish. When every
 * chunk has completed the loader calls {@link #finish} and returns its result. If anything fails or
 * the load is cancelled, the loader waits for its readers to stop, hands back every acquired buffer
 * through {@link #release}, and calls {@link #abort}, which must free everything {@link #begin} and
 * {@link #acquire} took.
 *
 * <p>{@link HostTarget} places tensors in host memory. A GPU target acquires pinned chunk buffers
 * from its pool, and on completion copies each segment asynchronously to the device allocation of
 * its destination, returning the buffer to the pool when the copy's event fires; its {@code finish}
 * waits for the last copy.
 *
 * <p>{@link #acquire}, {@link #complete} and {@link #release} are called from several reader
 * threads at once.
 *
 * @param <R> what a finished load gives back
 */
public interface LoadTarget<R> {

  /**
   * Alignment this target needs for tensor offsets inside a destination: a power of two, at most
   * 4096 (a GPU target asks 256).
   */
  int alignment();

  /**
   * Checks that this target can hold tensors on {@code device}, before anything is allocated.
   *
   * @throws IllegalArgumentException naming the device when it cannot
   */
  void checkDevice(Device device);

  /** Allocates the plan's destinations. */
  void begin(LoadPlan plan, LoadContext context) throws IOException;

  /**
   * A buffer to read {@code chunk} into: at least {@code chunk.bufferLength()} bytes, its address a
   * multiple of 4096 when it can be used for direct I/O. May block until a buffer is free; then it
   * should return early (with any buffer or by throwing) when {@link LoadContext#cancelled()}.
   */
  MemorySegment acquire(LoadPlan.ReadChunk chunk) throws IOException, InterruptedException;

  /**
   * The buffer holds the chunk's {@code readLength} bytes: place its segments. Takes back the
   * buffer, also when it throws.
   */
  void complete(LoadPlan.ReadChunk chunk, MemorySegment buffer) throws IOException;

  /** Takes back a buffer whose chunk will not complete (the read failed or was cancelled). */
  void release(LoadPlan.ReadChunk chunk, MemorySegment buffer);

  /** Every chunk completed: wait for outstanding work and give the result. */
  R finish(LoadContext context) throws IOException;

  /**
   * The load failed or was cancelled: free everything. Called at most once, after the readers stop.
   */
  void abort();
}
