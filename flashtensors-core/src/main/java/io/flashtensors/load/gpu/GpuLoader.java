package io.flashtensors.load.gpu;

import io.flashtensors.cuda.MemoryInfo;
import io.flashtensors.format.ModelFiles;
import io.flashtensors.load.Device;
import io.flashtensors.load.DeviceMap;
import io.flashtensors.load.FlashLoader;
import io.flashtensors.load.LoadPlan;
import io.flashtensors.memory.PinnedChunk;
import io.flashtensors.memory.PinnedPool;
import io.flashtensors.util.ByteSize;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Loads models from disk into GPU memory near the hardware limit, and keeps them resident in pinned
 * host memory so that loading one again costs only the PCIe copy.
 *
 * <pre>{@code
 * try (GpuLoader gpu = GpuLoader.create(GpuLoaderOptions.builder().memPoolSize(16L << 30).build());
 *     GpuModel model = gpu.load(Path.of("models/qwen3-8b"), DeviceMap.parse("{\"\": 0}")).join()) {
 *   DeviceTensor embed = model.tensor("model.embed_tokens.weight");
 * }
 * }</pre>
 *
 * <p>The pinned pool ({@code mem-pool-size}) is allocated once, when the loader is created. A load
 * reads the files with {@code num-threads} reader threads into pinned chunks of {@code chunk-size}
 * and queues each chunk's host-to-device copies as soon as it lands. Tensors go to one device
 * allocation per (source file, GPU), at 256-byte-aligned offsets. A load's future completes only
 * after every copy has been confirmed; when it fails or is cancelled, every chunk and device byte
 * it took is released before the loader counts it as finished ({@link #awaitIdle}).
 *
 * <p>A model loaded once stays in the pool; loading it again (with any device map) is one pass of
 * copies. The pool evicts least recently used models that no load is using when it needs room, and
 * a model larger than the pool streams through a ring of chunks instead. Nothing empties the cache
 * except {@link #evict} and {@link #clearCache}.
 *
 * <p>{@code gpu-memory-utilization} caps the device memory the loader's models may hold on each
 * GPU; a load that would pass it, or that needs more than the GPU has free, fails before it starts.
 */
public final class GpuLoader implements AutoCloseable {

  /** Alignment of tensor offsets on the GPU. */
  public static final int ALIGNMENT = 256;

  private final GpuLoaderOptions options;
  private final GpuBackend backend;
  private final PinnedPool pool;
  private final ResidentCache cache;
  private final FlashLoader reader;
  private final ExecutorService workers;
  private final long[] deviceHeld;
  private final DeviceMemoryCache deviceCache;
  private final List<List<GpuBackend.Stream>> streams;
  private final List<GpuLoadListener> listeners = new CopyOnWriteArrayList<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Object idle = new Object();
  private volatile boolean closed;

  private final LongAdder loads = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder cancelled = new LongAdder();
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final LongAdder evictions = new LongAdder();
  private final LongAdder evictedBytes = new LongAdder();
  private final LongAdder bytesRead = new LongAdder();
  private final LongAdder readNanos = new LongAdder();
  private final LongAdder bytesCopied = new LongAdder();
  private final LongAdder copyNanos = new LongAdder();

  private GpuLoader(GpuLoaderOptions options, GpuBackend backend, PinnedPool pool) {
    this.options = options;
    this.backend = backend;
    this.pool = pool;
    this.cache = new ResidentCache(pool, this::onEvicted);
    this.reader =
        FlashLoader.builder()
            .chunkSize(options.chunkSize())
            .threads(options.threads())
            .directIo(options.directIo())
            .verifyChecksums(options.verifyChecksums())
            .poolSize(pool.capacity())
            .build();
    this.workers =
        Executors.newCachedThreadPool(
            Thread.ofPlatform().name("flashtensors-gpu-load-", 0).daemon(true).factory());
    this.deviceHeld = new long[backend.deviceCount()];
    this.deviceCache = new DeviceMemoryCache(backend.deviceCount(), options.deviceMemoryCache());
    this.streams = new ArrayList<>();
    for (int i = 0; i < backend.deviceCount(); i++) {
      streams.add(null);
    }
  }

  /**
   * A loader on the CUDA devices of this machine; allocates (pins) the pool now.
   *
   * @throws io.flashtensors.cuda.CudaUnavailableException without a CUDA driver or device
   */
  public static GpuLoader create(GpuLoaderOptions options) {
    return create(options, new CudaBackend(options.pinnedMemory()));
  }

  /** A loader on {@code backend}; allocates the pool now. */
  public static GpuLoader create(GpuLoaderOptions options, GpuBackend backend) {
    Objects.requireNonNull(options, "options");
    long slab = backend.maxPinnedBlock() / options.chunkSize() * options.chunkSize();
    PinnedPool pool =
        PinnedPool.allocate(
            options.memPoolSize(),
            options.chunkSize(),
            slab,
            backend::allocatePinned,
            options.poolAllocationThreads());
    return new GpuLoader(options, backend, pool);
  }

  /** The settings. */
  public GpuLoaderOptions options() {
    return options;
  }

  /** The GPUs. */
  public GpuBackend backend() {
    return backend;
  }

  /** How long pinning the pool took. */
  public Duration poolAllocationTime() {
    return pool.allocationTime();
  }

  PinnedPool pool() {
    return pool;
  }

  ResidentCache cache() {
    return cache;
  }

  DeviceMemoryCache deviceCache() {
    return deviceCache;
  }

  /** Hears every load and eviction from now on. */
  public void addListener(GpuLoadListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /** Stops hearing. */
  public void removeListener(GpuLoadListener listener) {
    listeners.remove(listener);
  }

  /** Loads a flash layout or safetensors checkpoint onto the GPUs of {@code deviceMap}. */
  public CompletableFuture<GpuModel> load(Path model, DeviceMap deviceMap) {
    return load(model, deviceMap, CachePolicy.USE);
  }

  /**
   * Loads a model onto the GPUs of {@code deviceMap} in the background. The future completes after
   * every copy is confirmed. Cancelling it stops the load; its chunks and device memory are
   * released shortly after (see {@link #awaitIdle}).
   */
  public CompletableFuture<GpuModel> load(Path model, DeviceMap deviceMap, CachePolicy policy) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(deviceMap, "deviceMap");
    Objects.requireNonNull(policy, "policy");
    if (closed) {
      throw new IllegalStateException("GPU loader is closed");
    }
    CompletableFuture<GpuModel> result = new CompletableFuture<>();
    inFlight.incrementAndGet();
    long start = System.nanoTime();
    workers.execute(
        () -> {
          try {
            GpuModel loaded = run(model, deviceMap, policy, result, start);
            if (result.complete(loaded)) {
              loads.increment();
              bytesRead.add(loaded.report().readBytes());
              readNanos.add((long) (loaded.report().readSeconds() * 1e9));
              bytesCopied.add(loaded.report().deviceBytes());
              copyNanos.add((long) (loaded.report().copySeconds() * 1e9));
              listeners.forEach(l -> l.loadCompleted(loaded.report()));
            } else {
              loaded.close();
              cancelled.increment();
              listeners.forEach(l -> l.loadFailed(model.toString(), new CancellationException()));
            }
          } catch (Throwable t) {
            boolean wasCancelled = result.isCancelled() || t instanceof CancellationException;
            (wasCancelled ? cancelled : failed).increment();
            result.completeExceptionally(t);
            listeners.forEach(l -> l.loadFailed(model.toString(), t));
          } finally {
            if (inFlight.decrementAndGet() == 0) {
              synchronized (idle) {
                idle.notifyAll();
              }
            }
          }
        });
    return result;
  }

  /**
   * The tensor-dict API's {@code load_dict} onto GPUs: loads the tensors saved in {@code folder}
   * onto the devices of {@code deviceMap} and waits.
   */
  public GpuModel loadDict(Path folder, DeviceMap deviceMap) throws IOException {
    try {
      return load(folder, deviceMap).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException("interrupted while loading " + folder);
    } catch (ExecutionException e) {
      switch (e.getCause()) {
        case IOException io -> throw io;
        case RuntimeException re -> throw re;
        case Error err -> throw err;
        default -> throw new CompletionException(e.getCause());
      }
    }
  }

  private GpuModel run(
      Path path, DeviceMap deviceMap, CachePolicy policy, CompletableFuture<?> result, long start)
      throws IOException {
    if (result.isDone()) {
      throw new CancellationException("load of " + path + " cancelled before it started");
    }
    for (Device d : deviceMap.devices()) {
      checkDevice(d);
    }
    String key = path.toAbsolutePath().normalize().toString();
    if (policy == CachePolicy.USE) {
      ModelFiles known = cache.files(key);
      if (known != null) {
        ResidentCache.Entry entry = cache.acquire(key, fingerprint(known));
        if (entry != null) {
          hits.increment();
          try {
            return new ResidentLoad(this, entry, deviceMap, result, start).run();
          } finally {
            cache.release(entry);
          }
        }
      }
      misses.increment();
    }
    ModelFiles files = ModelFiles.open(path);
    GpuTarget target = new GpuTarget(this, key, fingerprint(files), policy, result, start);
    return reader.load(files, deviceMap, target);
  }

  /** Size and modification time of every data file: a changed file makes a resident copy stale. */
  static List<String> fingerprint(ModelFiles files) {
    List<String> parts = new ArrayList<>();
    for (ModelFiles.SourceFile f : files.files()) {
      try {
        BasicFileAttributes a = Files.readAttributes(f.path(), BasicFileAttributes.class);
        parts.add(f.path() + ":" + a.size() + ":" + a.lastModifiedTime().toMillis());
      } catch (IOException e) {
        parts.add(f.path() + ":missing");
      }
    }
    return List.copyOf(parts);
  }

  void checkDevice(Device device) {
    if (device.isCpu()) {
      throw new IllegalArgumentException(
          "device map puts tensors on cpu: the GPU loader loads onto GPUs only (use FlashLoader"
              + " for host memory)");
    }
    if (device.index() >= backend.deviceCount()) {
      throw new IllegalArgumentException(
          "device map names %s but %d GPU(s) are visible".formatted(device, backend.deviceCount()));
    }
  }

  /**
   * Reserves the plan's device bytes against {@code gpu-memory-utilization} and the memory free on
   * each GPU, or throws {@link GpuLoadException} with the numbers.
   */
  long[] reserveDeviceMemory(LoadPlan plan, String model) {
    long[] need = new long[backend.deviceCount()];
    List<List<Long>> sizes = new ArrayList<>();
    for (int device = 0; device < need.length; device++) {
      sizes.add(new ArrayList<>());
    }
    for (LoadPlan.Destination d : plan.destinations()) {
      need[d.device().index()] += d.size();
      if (d.size() > 0) {
        sizes.get(d.device().index()).add(d.size());
      }
    }
    synchronized (deviceHeld) {
      for (int device = 0; device < need.length; device++) {
        if (need[device] == 0) {
          continue;
        }
        MemoryInfo info = backend.memoryInfo(device);
        long cap = (long) (options.gpuMemoryUtilization() * info.total());
        if (deviceHeld[device] + need[device] > cap) {
          throw new GpuLoadException(
              ("loading %s needs %s on GPU %d, but gpu-memory-utilization %.2f allows the loader"
                      + " %s of %s and it already holds %s")
                  .formatted(
                      model,
                      ByteSize.formatPrecise(need[device]),
                      device,
                      options.gpuMemoryUtilization(),
                      ByteSize.formatPrecise(cap),
                      ByteSize.formatPrecise(info.total()),
                      ByteSize.formatPrecise(deviceHeld[device])));
        }
        // Cached blocks of the right sizes serve part of the need; when the rest does not fit,
        // the cache gives its memory back first, so it never fails a load that would fit without.
        long fromCache = deviceCache.reusable(device, sizes.get(device));
        if (need[device] - fromCache > info.free() && deviceCache.cachedBytes(device) > 0) {
          deviceCache.flush(device);
          info = backend.memoryInfo(device);
          fromCache = 0;
        }
        if (need[device] - fromCache > info.free()) {
          throw new GpuLoadException(
              "loading %s needs %s on GPU %d, which has %s free of %s"
                  .formatted(
                      model,
                      ByteSize.formatPrecise(need[device]),
                      device,
                      ByteSize.formatPrecise(info.free()),
                      ByteSize.formatPrecise(info.total())));
        }
      }
      for (int device = 0; device < need.length; device++) {
        deviceHeld[device] += need[device];
      }
    }
    return need;
  }

  void releaseDeviceMemory(long[] reserved) {
    synchronized (deviceHeld) {
      for (int device = 0; device < reserved.length; device++) {
        deviceHeld[device] -= reserved[device];
      }
    }
  }

  /** The copy streams of {@code device}, made on first use. */
  List<GpuBackend.Stream> streams(int device) {
    synchronized (streams) {
      List<GpuBackend.Stream> list = streams.get(device);
      if (list == null) {
        List<GpuBackend.Stream> made = new ArrayList<>();
        for (int i = 0; i < options.streamsPerDevice(); i++) {
          made.add(backend.openStream(device));
        }
        list = List.copyOf(made);
        streams.set(device, list);
      }
      return list;
    }
  }

  private void onEvicted(ResidentModel model) {
    evictions.increment();
    evictedBytes.add(model.bytes());
    listeners.forEach(l -> l.evicted(model));
  }

  /** Models in the pinned pool, least recently used first. */
  public List<ResidentModel> residentModels() {
    return cache.list();
  }

  /** Evicts {@code model} from the pool now; false when it is not resident or is in use. */
  public boolean evict(Path model) {
    return cache.evict(model.toAbsolutePath().normalize().toString());
  }

  /** Evicts every resident model no load is using; returns how many. */
  public int clearCache() {
    return cache.clear();
  }

  /**
   * Frees the device memory that closed models left for reuse ({@code device-memory-cache});
   * returns the bytes freed. Models and loads in flight keep theirs.
   */
  public long releaseCachedDeviceMemory() {
    return deviceCache.flushAll();
  }

  /** Totals since start, and the pool now. */
  public GpuLoadMetrics metrics() {
    Map<Integer, Long> held = new HashMap<>();
    Map<Integer, Long> cached = new HashMap<>();
    synchronized (deviceHeld) {
      for (int i = 0; i < deviceHeld.length; i++) {
        held.put(i, deviceHeld[i]);
        cached.put(i, deviceCache.cachedBytes(i));
      }
    }
    return new GpuLoadMetrics(
        loads.sum(),
        failed.sum(),
        cancelled.sum(),
        hits.sum(),
        misses.sum(),
        evictions.sum(),
        evictedBytes.sum(),
        bytesRead.sum(),
        readNanos.sum() / 1e9,
        bytesCopied.sum(),
        copyNanos.sum() / 1e9,
        pool.capacity(),
        pool.usedBytes(),
        cache.residentBytes(),
        (int) cache.list().stream().filter(ResidentModel::ready).count(),
        pool.allocationTime().toNanos() / 1e9,
        held,
        cached);
  }

  /** The device memory a {@link #probeHostToDevice} round copies into. */
  public enum ProbeTarget {
    /** One allocation, reused by every round (warm). */
    REUSED,
    /** A fresh allocation each round, as a load makes. */
    FRESH,
    /** A fresh allocation each round, written once on the GPU before the timed copies. */
    FRESH_PREFAULTED
  }

  /**
   * Measures pinned host to GPU bandwidth over the pool's own memory: copies every free chunk to
   * {@code device}, {@code rounds} times, and returns the median GB/s (10^9 bytes) of the copies
   * alone. This is the ceiling of a resident load over a footprint as large as the pool. Needs that
   * much free device memory; meant for when no load is in flight.
   */
  public double probeHostToDevice(int device, int rounds, ProbeTarget target) {
    List<PinnedChunk> chunks = pool.tryAcquire(pool.freeChunks());
    if (chunks.isEmpty()) {
      throw new IllegalStateException("the pinned pool has no free chunk to probe with");
    }
    long bytes = chunks.size() * pool.chunkSize();
    GpuBackend.Allocation reused = null;
    try {
      double[] rates = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        if (reused == null || target != ProbeTarget.REUSED) {
          if (reused != null) {
            reused.close();
          }
          reused = backend.allocate(device, bytes);
          if (target == ProbeTarget.FRESH_PREFAULTED) {
            reused.fill((byte) 0);
          }
        }
        CopyLanes lanes = new CopyLanes(this);
        long t0 = System.nanoTime();
        for (int k = 0; k < chunks.size(); k++) {
          lanes.pick(device, k).copyAsync(chunks.get(k).segment(), reused, k * pool.chunkSize());
        }
        lanes.awaitAll();
        rates[r] = bytes / (double) (System.nanoTime() - t0);
      }
      java.util.Arrays.sort(rates);
      return rates[rounds / 2];
    } finally {
      if (reused != null) {
        reused.close();
      }
      pool.release(chunks);
    }
  }

  /**
   * Waits until no load is in flight (finished, failed or cancelled, and cleaned up); false when
   * {@code timeout} passes first.
   */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (idle) {
      while (inFlight.get() > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        idle.wait(Math.max(1, left / 1_000_000));
      }
    }
    return true;
  }

  /**
   * Waits for loads in flight, then frees the pool, the streams and the device memory cache. Models
   * already loaded stay valid until closed (their memory is then freed, not cached).
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      awaitIdle(Duration.ofMinutes(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    workers.shutdown();
    deviceCache.clear();
    synchronized (streams) {
      for (List<GpuBackend.Stream> list : streams) {
        if (list != null) {
          list.forEach(GpuBackend.Stream::close);
        }
      }
    }
    pool.close();
  }
}
