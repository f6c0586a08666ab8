package io.flashtensors.load.gpu;

import io.flashtensors.load.DirectIo;
import io.flashtensors.load.FlashLoader;
import java.util.Objects;

/**
 * Settings of a {@link GpuLoader}; names follow the Python flashtensors ({@code mem-pool-size},
 * {@code chunk-size}, {@code num-threads}, {@code gpu-memory-utilization}).
 *
 * @param memPoolSize bytes of pinned host memory allocated at start: the resident cache and the
 *     chunk ring live in it
 * @param chunkSize bytes per read and per pinned chunk (a multiple of 4 KiB)
 * @param threads reader threads per load
 * @param gpuMemoryUtilization fraction of each GPU's memory the loader may hold (0 to 1]
 * @param streamsPerDevice copy streams per GPU
 * @param ringChunks pinned chunks a streamed load (a model that is not kept resident) cycles
 *     through
 * @param directIo whether reads bypass the page cache
 * @param verifyChecksums whether flash layout chunks are checked against their CRC32C
 * @param poolAllocationThreads threads that pin the pool's slabs at start
 * @param pinnedMemory how the pool's slabs are made and pinned
 * @param prefaultDeviceMemory whether each new device allocation is written once (a device-side
 *     memset, at HBM speed) before the copies into it
 * @param deviceMemoryCache bytes of device memory per GPU that closed models' allocations may stay
 *     in, for reuse by the next load needing an allocation of the same size (0: off)
 */
public record GpuLoaderOptions(
    long memPoolSize,
    long chunkSize,
    int threads,
    double gpuMemoryUtilization,
    int streamsPerDevice,
    int ringChunks,
    DirectIo directIo,
    boolean verifyChecksums,
    int poolAllocationThreads,
    PinnedMemory pinnedMemory,
    boolean prefaultDeviceMemory,
    long deviceMemoryCache) {

  public GpuLoaderOptions {
    Objects.requireNonNull(directIo, "directIo");
    Objects.requireNonNull(pinnedMemory, "pinnedMemory");
    if (chunkSize < 4096 || chunkSize % 4096 != 0 || chunkSize > (1L << 30)) {
      throw new IllegalArgumentException(
          "chunk-size must be a multiple of 4 KiB between 4 KiB and 1 GiB, not " + chunkSize);
    }
    if (memPoolSize < 2 * chunkSize) {
      throw new IllegalArgumentException(
          "mem-pool-size (%d bytes) must hold at least two chunks of chunk-size (%d bytes)"
              .formatted(memPoolSize, chunkSize));
    }
    if (threads < 1 || threads > 1024) {
      throw new IllegalArgumentException("num-threads must be 1 to 1024, not " + threads);
    }
    if (!(gpuMemoryUtilization > 0 && gpuMemoryUtilization <= 1)) {
      throw new IllegalArgumentException(
          "gpu-memory-utilization must be in (0, 1], not " + gpuMemoryUtilization);
    }
    if (streamsPerDevice < 1 || streamsPerDevice > 64) {
      throw new IllegalArgumentException(
          "streams per device must be 1 to 64, not " + streamsPerDevice);
    }
    if (ringChunks < 2) {
      throw new IllegalArgumentException("ring chunks must be at least 2, not " + ringChunks);
    }
    if (deviceMemoryCache < 0) {
      throw new IllegalArgumentException(
          "device-memory-cache must be 0 (off) or a positive number of bytes, not "
              + deviceMemoryCache);
    }
    if (poolAllocationThreads < 1) {
      throw new IllegalArgumentException(
          "pool allocation threads must be at least 1, not " + poolAllocationThreads);
    }
  }

  /** Default settings. */
  public static GpuLoaderOptions defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding these settings. */
  public Builder toBuilder() {
    return new Builder()
        .memPoolSize(memPoolSize)
        .chunkSize(chunkSize)
        .threads(threads)
        .gpuMemoryUtilization(gpuMemoryUtilization)
        .streamsPerDevice(streamsPerDevice)
        .ringChunks(ringChunks)
        .directIo(directIo)
        .verifyChecksums(verifyChecksums)
        .poolAllocationThreads(poolAllocationThreads)
        .pinnedMemory(pinnedMemory)
        .prefaultDeviceMemory(prefaultDeviceMemory)
        .deviceMemoryCache(deviceMemoryCache);
  }

  /** Builds {@link GpuLoaderOptions}. */
  public static final class Builder {
    private long memPoolSize = 12L << 30;
    private long chunkSize = FlashLoader.DEFAULT_CHUNK_SIZE;
    private int threads = Math.max(1, Math.min(16, 2 * Runtime.getRuntime().availableProcessors()));
    private double gpuMemoryUtilization = 0.9;
    private int streamsPerDevice = 2;
    private int ringChunks = -1;
    private DirectIo directIo = DirectIo.OFF;
    private boolean verifyChecksums;
    private int poolAllocationThreads = 4;
    private PinnedMemory pinnedMemory = PinnedMemory.REGISTERED;
    private boolean prefaultDeviceMemory;
    private long deviceMemoryCache;

    private Builder() {}

    /** Pinned pool bytes (default 12 GiB, as the Python flashtensors), allocated at start. */
    public Builder memPoolSize(long bytes) {
      this.memPoolSize = bytes;
      return this;
    }

    /** Bytes per read and per pinned chunk (default 32 MiB). */
    public Builder chunkSize(long bytes) {
      this.chunkSize = bytes;
      return this;
    }

    /** Reader threads per load (default twice the processors, at most 16). */
    public Builder threads(int threads) {
      this.threads = threads;
      return this;
    }

    /** Fraction of each GPU's memory the loader may hold (default 0.9). */
    public Builder gpuMemoryUtilization(double fraction) {
      this.gpuMemoryUtilization = fraction;
      return this;
    }

    /** Copy streams per GPU (default 2). */
    public Builder streamsPerDevice(int streams) {
      this.streamsPerDevice = streams;
      return this;
    }

    /** Chunks a streamed load cycles through (default two per reader thread). */
    public Builder ringChunks(int chunks) {
      this.ringChunks = chunks;
      return this;
    }

    /**
     * O_DIRECT setting (default {@link DirectIo#OFF}: on the H100 machine cold reads are as fast
     * through the page cache, about 2 GB/s, and reads of cached files run at page-cache speed, 40
     * to 50 GB/s, instead of the disk's).
     */
    public Builder directIo(DirectIo directIo) {
      this.directIo = directIo;
      return this;
    }

    /** Check flash layout chunks against their CRC32C while reading (default false). */
    public Builder verifyChecksums(boolean verify) {
      this.verifyChecksums = verify;
      return this;
    }

    /** Threads that pin the pool at start (default 4). */
    public Builder poolAllocationThreads(int threads) {
      this.poolAllocationThreads = threads;
      return this;
    }

    /**
     * How the pool's slabs are made (default {@link PinnedMemory#REGISTERED}: on the H100 machine
     * it pinned 16 GiB in 2.4 s against 6 to 12 s for {@code cuMemHostAlloc}, with the same copy
     * rates; docs/benchmarks.md).
     */
    public Builder pinnedMemory(PinnedMemory pinnedMemory) {
      this.pinnedMemory = pinnedMemory;
      return this;
    }

    /**
     * Write each new device allocation once on the GPU before copying into it (default false: on
     * the H100 it did not speed up the copies that follow; docs/benchmarks.md).
     */
    public Builder prefaultDeviceMemory(boolean prefault) {
      this.prefaultDeviceMemory = prefault;
      return this;
    }

    /**
     * Bytes of device memory per GPU in which the allocations of closed models are kept, so that
     * the next load needing an allocation of the same size (a model of the same shape) copies into
     * memory written before instead of a fresh {@code cuMemAlloc} (default 0: off, every close
     * frees). On the H100 copies into memory written before ran at 54.8 GB/s, into fresh memory at
     * 48.7 GB/s (docs/benchmarks.md). Least recently freed blocks are freed first past the limit.
     * Cached blocks do not count against {@code gpu-memory-utilization}, and a load that needs
     * their memory frees them first, so the cache never makes a load fail. Close a model only once
     * no GPU work reads it: its memory may be written by the next load at once. {@link
     * GpuLoader#releaseCachedDeviceMemory()} and {@link GpuLoader#close()} free the cache.
     */
    public Builder deviceMemoryCache(long bytes) {
      this.deviceMemoryCache = bytes;
      return this;
    }

    public GpuLoaderOptions build() {
      return new GpuLoaderOptions(
          memPoolSize,
          chunkSize,
          threads,
          gpuMemoryUtilization,
          streamsPerDevice,
          ringChunks > 0 ? ringChunks : Math.max(4, 2 * threads),
          directIo,
          verifyChecksums,
          poolAllocationThreads,
          pinnedMemory,
          prefaultDeviceMemory,
          deviceMemoryCache);
    }
  }
}
