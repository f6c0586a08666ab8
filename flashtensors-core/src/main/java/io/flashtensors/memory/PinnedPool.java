package io.flashtensors.memory;

import io.flashtensors.util.ByteSize;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongFunction;

/**
 * Pinned host memory allocated once, up front, and handed out in fixed-size chunks.
 *
 * <p>Pinning is slow (about 0.35 s a GiB on the H100 machine), so a server pays it at start and
 * never on a request. The pool is made of slabs, each a whole number of chunks and under the size
 * one allocation may have (JCuda cannot pin 2 GiB or more in one block); chunks never straddle
 * slabs. Acquisition is all-or-nothing, so two loads cannot deadlock holding halves of the pool.
 */
public final class PinnedPool implements AutoCloseable {

  /** Alignment of chunk sizes: the O_DIRECT block and the page size. */
  public static final long CHUNK_ALIGNMENT = 4096;

  private final long chunkSize;
  private final List<HostSlab> slabs;
  private final PinnedChunk[] chunks;
  private final BitSet free;
  private final Duration allocationTime;
  private boolean closed;

  private PinnedPool(
      long chunkSize, List<HostSlab> slabs, PinnedChunk[] chunks, Duration allocationTime) {
    this.chunkSize = chunkSize;
    this.slabs = slabs;
    this.chunks = chunks;
    this.allocationTime = allocationTime;
    this.free = new BitSet(chunks.length);
    free.set(0, chunks.length);
  }

  /**
   * Allocates a pool of {@code poolSize} bytes (rounded down to whole chunks).
   *
   * @param poolSize total bytes, at least one chunk
   * @param chunkSize bytes per chunk, a multiple of 4096
   * @param maxSlabSize the largest block {@code allocator} accepts
   * @param allocator allocates one slab (pinned memory in production)
   * @param threads slabs allocated at once
   */
  public static PinnedPool allocate(
      long poolSize,
      long chunkSize,
      long maxSlabSize,
      LongFunction<? extends HostSlab> allocator,
      int threads) {
    if (chunkSize <= 0 || chunkSize % CHUNK_ALIGNMENT != 0 || chunkSize > maxSlabSize) {
      throw new IllegalArgumentException(
          "chunk-size must be a positive multiple of 4 KiB up to %d bytes, not %d"
              .formatted(maxSlabSize, chunkSize));
    }
    if (poolSize < chunkSize) {
      throw new IllegalArgumentException(
          "mem-pool-size (%d bytes) must hold at least one chunk of %d bytes"
              .formatted(poolSize, chunkSize));
    }
    long chunkCount = poolSize / chunkSize;
    if (chunkCount > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("too many chunks: " + chunkCount);
    }
    long chunksPerSlab = maxSlabSize / chunkSize;
    List<Long> slabSizes = new ArrayList<>();
    for (long left = chunkCount; left > 0; left -= chunksPerSlab) {
      slabSizes.add(Math.min(left, chunksPerSlab) * chunkSize);
    }

    long start = System.nanoTime();
    List<HostSlab> slabs = allocateSlabs(slabSizes, allocator, Math.max(1, threads));
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    PinnedChunk[] chunks = new PinnedChunk[(int) chunkCount];
    int next = 0;
    for (HostSlab slab : slabs) {
      long perSlab = slab.segment().byteSize() / chunkSize;
      for (long k = 0; k < perSlab; k++) {
        chunks[next] = new PinnedChunk(next, slab.segment().asSlice(k * chunkSize, chunkSize));
        next++;
      }
    }
    return new PinnedPool(chunkSize, List.copyOf(slabs), chunks, took);
  }

  private static List<HostSlab> allocateSlabs(
      List<Long> sizes, LongFunction<? extends HostSlab> allocator, int threads) {
    List<HostSlab> done = new ArrayList<>();
    try (ExecutorService pool = Executors.newFixedThreadPool(Math.min(threads, sizes.size()))) {
      List<Future<HostSlab>> futures = new ArrayList<>();
      for (long size : sizes) {
        futures.add(pool.submit(() -> allocator.apply(size)));
      }
      Throwable failure = null;
      for (Future<HostSlab> f : futures) {
        try {
          done.add(f.get());
        } catch (ExecutionException e) {
          failure = failure == null ? e.getCause() : failure;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          failure = failure == null ? e : failure;
        }
      }
      if (failure != null) {
        long total = sizes.stream().mapToLong(Long::longValue).sum();
        long got = done.stream().mapToLong(s -> s.segment().byteSize()).sum();
        done.forEach(HostSlab::close);
        throw new IllegalStateException(
            "allocating the pinned pool failed after %s of %s: %s"
                .formatted(
                    ByteSize.formatPrecise(got),
                    ByteSize.formatPrecise(total),
                    failure.getMessage()),
            failure);
      }
    }
    return done;
  }

  /** Bytes per chunk. */
  public long chunkSize() {
    return chunkSize;
  }

  /** Number of chunks. */
  public int chunkCount() {
    return chunks.length;
  }

  /** Total bytes in chunks. */
  public long capacity() {
    return chunks.length * chunkSize;
  }

  /** Number of slabs the pool is made of. */
  public int slabCount() {
    return slabs.size();
  }

  /** How long allocating (pinning) the pool took. */
  public Duration allocationTime() {
    return allocationTime;
  }

  /** Chunks not handed out. */
  public synchronized int freeChunks() {
    return free.cardinality();
  }

  /** Bytes handed out. */
  public synchronized long usedBytes() {
    return (chunks.length - (long) free.cardinality()) * chunkSize;
  }

  /** Chunks needed to hold {@code bytes}. */
  public long chunksFor(long bytes) {
    return (bytes + chunkSize - 1) / chunkSize;
  }

  /** Exactly {@code n} free chunks, lowest first, or an empty list when fewer are free. */
  public synchronized List<PinnedChunk> tryAcquire(int n) {
    ensureOpen();
    if (n < 0) {
      throw new IllegalArgumentException("negative chunk count " + n);
    }
    if (n == 0 || free.cardinality() < n) {
      return List.of();
    }
    List<PinnedChunk> taken = new ArrayList<>(n);
    for (int i = free.nextSetBit(0); taken.size() < n; i = free.nextSetBit(i + 1)) {
      free.clear(i);
      taken.add(chunks[i]);
    }
    return taken;
  }

  /** Gives chunks back. Giving back a chunk that is not out is a bug and throws. */
  public synchronized void release(Collection<PinnedChunk> given) {
    for (PinnedChunk c : given) {
      if (c.index() >= chunks.length || chunks[c.index()] != c) {
        throw new IllegalArgumentException("chunk " + c.index() + " is not from this pool");
      }
      if (free.get(c.index())) {
        throw new IllegalStateException("chunk " + c.index() + " released twice");
      }
    }
    given.forEach(c -> free.set(c.index()));
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("pinned pool is closed");
    }
  }

  /** Frees every slab. Chunks still out become unusable (their segments fail on access). */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      RuntimeException first = null;
      for (HostSlab slab : slabs) {
        try {
          slab.close();
        } catch (RuntimeException e) {
          first = first == null ? e : first;
        }
      }
      if (first != null) {
        throw first;
      }
    }
  }

  @Override
  public synchronized String toString() {
    return "PinnedPool[%s in %d slabs, %d x %s chunks, %d free]"
        .formatted(
            ByteSize.formatPrecise(capacity()),
            slabs.size(),
            chunks.length,
            ByteSize.formatPrecise(chunkSize),
            free.cardinality());
  }
}
