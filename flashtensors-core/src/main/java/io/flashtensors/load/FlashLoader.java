package io.flashtensors.load;

import io.flashtensors.format.FormatException;
import io.flashtensors.format.ModelFiles;
import io.flashtensors.util.Throwables;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32C;

/**
 * Loads models with parallel chunked reads: N reader threads take chunks of a {@link LoadPlan} in
 * turn, read each with one positional read (O_DIRECT where the file system allows it), verify its
 * checksums when asked, and hand it to a {@link LoadTarget}.
 *
 * <pre>{@code
 * FlashLoader loader = FlashLoader.builder().threads(8).chunkSize(32 << 20).build();
 * try (LoadedModel model = loader.load(Path.of("models/qwen3-0.6b"))) {
 *   Tensor embed = model.tensor("model.embed_tokens.weight");
 * }
 * }</pre>
 *
 * <p>A loader holds no resources between loads; it is immutable and can serve several loads at
 * once.
 */
public final class FlashLoader {

  /** Default bytes per read: 32 MiB, as the Python flashtensors uses. */
  public static final long DEFAULT_CHUNK_SIZE = 32L << 20;

  private final long chunkSize;
  private final int threads;
  private final long poolSize;
  private final boolean verifyChecksums;
  private final DirectIo directIo;
  private final LoadListener listener;

  private FlashLoader(Builder b) {
    this.chunkSize = b.chunkSize;
    this.threads = b.threads;
    this.poolSize = b.poolSize > 0 ? b.poolSize : 2L * b.threads * b.chunkSize;
    this.verifyChecksums = b.verifyChecksums;
    this.directIo = b.directIo;
    this.listener = b.listener;
  }

  /** A loader with default settings. */
  public static FlashLoader create() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Bytes per read. */
  public long chunkSize() {
    return chunkSize;
  }

  /** Reader threads per load. */
  public int threads() {
    return threads;
  }

  /** Bytes of chunk buffers a load may hold at once (staging for host loads, pinned for GPU). */
  public long poolSize() {
    return poolSize;
  }

  /** True when chunks are checked against the layout's CRC32C checksums. */
  public boolean verifyChecksums() {
    return verifyChecksums;
  }

  /** O_DIRECT setting. */
  public DirectIo directIo() {
    return directIo;
  }

  /** Loads a flash layout or safetensors checkpoint into host memory. */
  public LoadedModel load(Path path) throws IOException {
    return load(path, DeviceMap.cpu());
  }

  /** Loads into host memory; every device of {@code deviceMap} must be {@code cpu}. */
  public LoadedModel load(Path path, DeviceMap deviceMap) throws IOException {
    return load(path, deviceMap, new HostTarget());
  }

  /** Loads into {@code target}. */
  public <R> R load(Path path, DeviceMap deviceMap, LoadTarget<R> target) throws IOException {
    checkDevices(deviceMap, target);
    return load(ModelFiles.open(path), deviceMap, target);
  }

  /** Loads already-opened model files into {@code target}. */
  public <R> R load(ModelFiles model, DeviceMap deviceMap, LoadTarget<R> target)
      throws IOException {
    return run(model, deviceMap, target, new AtomicBoolean());
  }

  /**
   * Starts a load on a background thread. Cancelling the handle stops the readers after their
   * current chunk and frees everything the load took before the handle completes.
   */
  public <R> LoadHandle<R> submit(Path path, DeviceMap deviceMap, LoadTarget<R> target) {
    AtomicBoolean cancelled = new AtomicBoolean();
    LoadHandle<R> handle = new LoadHandle<>(cancelled);
    Thread.ofPlatform()
        .name("flashtensors-load")
        .daemon(true)
        .start(
            () -> {
              try {
                handle.complete(run(ModelFiles.open(path), deviceMap, target, cancelled));
              } catch (Throwable t) {
                handle.fail(t);
              }
            });
    return handle;
  }

  private <R> R run(
      ModelFiles model, DeviceMap deviceMap, LoadTarget<R> target, AtomicBoolean cancelled)
      throws IOException {
    LoadContext context = new LoadContext(this, cancelled);
    boolean begun = false;
    try {
      long t0 = System.nanoTime();
      checkDevices(deviceMap, target);
      LoadPlan plan = LoadPlan.create(model, deviceMap, target.alignment(), chunkSize);
      long readBytes = plan.readBytes();
      context.readBytes(readBytes);
      boolean verify =
          verifyChecksums && model.files().stream().allMatch(f -> f.checksums() != null);
      context.verified(verify && !model.files().isEmpty());
      context.record("plan", 0, System.nanoTime() - t0);
      listener.onStart(plan);

      List<SourceReader> readers = new ArrayList<>();
      try {
        for (ModelFiles.SourceFile f : model.files()) {
          readers.add(new SourceReader(f, directIo));
        }
        context.directIo(readers.stream().allMatch(SourceReader::isDirect));
        long t1 = System.nanoTime();
        begun = true;
        target.begin(plan, context);
        context.record("allocate", plan.destinationBytes(), System.nanoTime() - t1);

        readAll(plan, readers, target, context, verify);
        context.directIo(readers.stream().allMatch(SourceReader::isDirect));
      } finally {
        closeAll(readers);
      }
      if (cancelled.get()) {
        throw new CancellationException("load cancelled");
      }
      long t2 = System.nanoTime();
      R result = target.finish(context);
      context.record("finish", 0, System.nanoTime() - t2);
      listener.onComplete(context.snapshot());
      return result;
    } catch (IOException | RuntimeException | Error e) {
      if (begun) {
        try {
          target.abort();
        } catch (RuntimeException | Error cleanup) {
          Throwables.suppress(e, cleanup); // a target may rethrow its first failure here
        }
      }
      listener.onFailure(e);
      throw e;
    }
  }

  private static void checkDevices(DeviceMap deviceMap, LoadTarget<?> target) {
    for (Device device : deviceMap.devices()) {
      target.checkDevice(device);
    }
  }

  private <R> void readAll(
      LoadPlan plan,
      List<SourceReader> readers,
      LoadTarget<R> target,
      LoadContext context,
      boolean verify)
      throws IOException {
    List<LoadPlan.ReadChunk> chunks = plan.chunks();
    AtomicInteger next = new AtomicInteger();
    AtomicLong done = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long total = plan.readBytes();
    int workers = Math.max(1, Math.min(threads, chunks.size()));
    Runnable worker =
        () -> {
          CRC32C crc = verify ? new CRC32C() : null;
          while (!context.cancelled()) {
            int i = next.getAndIncrement();
            if (i >= chunks.size()) {
              return;
            }
            LoadPlan.ReadChunk chunk = chunks.get(i);
            MemorySegment buffer = null;
            boolean handedOver = false;
            try {
              buffer = target.acquire(chunk);
              SourceReader reader = readers.get(chunk.file());
              if (crc == null) {
                long t0 = System.nanoTime();
                reader.read(chunk, buffer);
                context.record("read", chunk.readLength(), System.nanoTime() - t0);
              } else {
                readAndVerify(plan, chunk, reader, buffer, crc, context);
              }
              long t2 = System.nanoTime();
              handedOver = true;
              target.complete(chunk, buffer);
              context.record("place", chunk.readLength(), System.nanoTime() - t2);
              listener.onProgress(done.addAndGet(chunk.readLength()), total);
            } catch (Throwable t) {
              if (buffer != null && !handedOver) {
                try {
                  target.release(chunk, buffer);
                } catch (Throwable releaseFailure) {
                  Throwables.suppress(t, releaseFailure);
                }
              }
              fail(failure, t, context);
              return;
            }
          }
        };
    List<Thread> started = new ArrayList<>();
    try {
      for (int i = 0; i < workers; i++) {
        started.add(
            Thread.ofPlatform().name("flashtensors-reader-" + i).daemon(true).start(worker));
      }
    } catch (Throwable t) {
      // No thread to be had: stop the ones started, then report it once they are done.
      fail(failure, t, context);
    }
    boolean interrupted = false;
    for (Thread t : started) {
      while (true) {
        try {
          t.join();
          break;
        } catch (InterruptedException e) {
          interrupted = true;
          context.cancel();
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    switch (failure.get()) {
      case null -> {
        if (interrupted) {
          throw new CancellationException("load interrupted");
        }
      }
      case IOException e -> throw e;
      case RuntimeException e -> throw e;
      case Error e -> throw e;
      case Throwable e -> throw new IOException(e);
    }
  }

  /** Records the first failure (later ones are suppressed into it) and stops the readers. */
  private static void fail(AtomicReference<Throwable> failure, Throwable t, LoadContext context) {
    if (!failure.compareAndSet(null, t) && !(t instanceof CancellationException)) {
      Throwables.suppress(failure.get(), t);
    }
    context.cancel();
  }

  /**
   * Reads a chunk one checksum block at a time and checks each block while it is still in the CPU
   * cache: a second pass over a whole chunk would read it back from memory.
   */
  private static void readAndVerify(
      LoadPlan plan,
      LoadPlan.ReadChunk chunk,
      SourceReader reader,
      MemorySegment buffer,
      CRC32C crc,
      LoadContext context)
      throws IOException {
    ModelFiles.SourceFile file = plan.model().files().get(chunk.file());
    ModelFiles.Checksums sums = file.checksums();
    int block = sums.blockSize();
    long readNanos = 0;
    long verifyNanos = 0;
    for (int at = 0; at < chunk.readLength(); at += block) {
      long fileOffset = chunk.fileOffset() + at;
      int n = Math.min(block, chunk.readLength() - at);
      int bufferLength = Math.min(block, chunk.bufferLength() - at);
      long t0 = System.nanoTime();
      reader.read(fileOffset, n, bufferLength, buffer.asSlice(at));
      long t1 = System.nanoTime();
      crc.reset();
      crc.update(buffer.asSlice(at, n).asByteBuffer());
      int actual = (int) crc.getValue();
      int index = (int) (fileOffset / block);
      if (index >= sums.blocks() || actual != sums.block(index)) {
        throw new FormatException(
            file.path(),
            "checksum mismatch in block %d (bytes [%d, %d)): expected crc32c %08x, got %08x; the file is corrupt"
                .formatted(
                    index,
                    fileOffset,
                    fileOffset + n,
                    index < sums.blocks() ? sums.block(index) : 0,
                    actual));
      }
      readNanos += t1 - t0;
      verifyNanos += System.nanoTime() - t1;
    }
    context.record("read", chunk.readLength(), readNanos);
    context.record("verify", chunk.readLength(), verifyNanos);
  }

  private static void closeAll(List<SourceReader> readers) throws IOException {
    IOException failure = null;
    for (SourceReader r : readers) {
      try {
        r.close();
      } catch (IOException e) {
        if (failure == null) {
          failure = e;
        } else {
          Throwables.suppress(failure, e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** Settings of a {@link FlashLoader}. */
  public static final class Builder {
    private long chunkSize = DEFAULT_CHUNK_SIZE;
    private int threads = Math.max(1, Math.min(16, 2 * Runtime.getRuntime().availableProcessors()));
    private long poolSize;
    private boolean verifyChecksums;
    private DirectIo directIo = DirectIo.AUTO;
    private LoadListener listener = LoadListener.NONE;

    private Builder() {}

    /**
     * Bytes per read (default 32 MiB), between 4 KiB and 1 GiB; rounded down to a multiple of 4
     * KiB, and for flash layouts to a multiple of the checksum block.
     */
    public Builder chunkSize(long bytes) {
      if (bytes < LoadPlan.IO_ALIGNMENT || bytes > LoadPlan.MAX_CHUNK_SIZE) {
        throw new IllegalArgumentException(
            "chunk size %d is not between 4 KiB and 1 GiB".formatted(bytes));
      }
      this.chunkSize = bytes;
      return this;
    }

    /** Reader threads (default twice the processors, at most 16). */
    public Builder threads(int threads) {
      if (threads < 1 || threads > 1024) {
        throw new IllegalArgumentException("threads must be between 1 and 1024, not " + threads);
      }
      this.threads = threads;
      return this;
    }

    /**
     * Bytes of chunk buffers a load may hold at once: staging buffers for host loads that cannot
     * read in place (safetensors), the pinned pool for GPU targets. Default: two chunks per thread.
     */
    public Builder poolSize(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("pool size must not be negative");
      }
      this.poolSize = bytes;
      return this;
    }

    /**
     * Check every chunk against the flash layout's CRC32C checksums, on the reader threads (default
     * false). Safetensors files have no checksums; for them this setting does nothing.
     */
    public Builder verifyChecksums(boolean verify) {
      this.verifyChecksums = verify;
      return this;
    }

    /** O_DIRECT setting (default {@link DirectIo#AUTO}). */
    public Builder directIo(DirectIo directIo) {
      this.directIo = Objects.requireNonNull(directIo, "directIo");
      return this;
    }

    /** Hears progress and metrics of every load. */
    public Builder listener(LoadListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    public FlashLoader build() {
      return new FlashLoader(this);
    }
  }
}
