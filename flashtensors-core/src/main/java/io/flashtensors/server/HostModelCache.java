package io.flashtensors.server;

import io.flashtensors.format.FlashManifest;
import io.flashtensors.load.DeviceMap;
import io.flashtensors.load.FlashLoader;
import io.flashtensors.memory.SharedMemory;
import io.flashtensors.store.StoredModel;
import io.flashtensors.util.ByteSize;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.logging.Logger;

/**
 * A {@link ModelHost} in host memory: each model's partitions read by the {@link FlashLoader} into
 * one block per partition, optionally page-locked by a {@link HostPinning} so that GPU copies out
 * of it run at PCIe speed.
 *
 * <p>Capacity is counted in bytes. A model that does not fit is made room for by evicting the least
 * recently used models nothing is using; if the models in use leave too little room, the lease
 * fails with the numbers. A model larger than the whole cache is read for its lease only and freed
 * when the lease closes. Two leases of a model that is being read wait for the same read.
 */
public final class HostModelCache implements ModelHost {

  private static final Logger LOG = Logger.getLogger(HostModelCache.class.getName());

  private final long capacity;
  private final FlashLoader loader;
  private final HostPinning pinning;
  private final Optional<Path> sharedDir;
  private final Map<String, Entry> entries = new LinkedHashMap<>();
  private final ManifestCache manifests = new ManifestCache();
  private long used;
  private boolean closed;

  /**
   * @param capacity bytes the cache may hold ({@code mem-pool-size})
   * @param loader reads the partitions
   * @param pinning page-locks resident models, or {@link HostPinning#NONE}
   */
  public HostModelCache(long capacity, FlashLoader loader, HostPinning pinning) {
    this(capacity, loader, pinning, Optional.empty());
  }

  /**
   * @param sharedDir a folder on a memory file system ({@code /dev/shm/...}) to keep models in, so
   *     that clients on this machine can map them (see {@link Lease#sharedFiles()}); empty for
   *     private memory. When it has no room for a model, that model goes to private memory.
   */
  public HostModelCache(
      long capacity, FlashLoader loader, HostPinning pinning, Optional<Path> sharedDir) {
    this.capacity = capacity;
    this.loader = loader;
    this.pinning = pinning;
    this.sharedDir = sharedDir.filter(d -> SharedMemory.available());
  }

  private final class Entry {
    final String key;
    final long bytes;
    final boolean transientEntry;

    /** The store entry it was read from: a new registration of the same id is a new model. */
    StoredModel source;

    final CompletableFuture<Void> ready = new CompletableFuture<>();
    final Arena arena = Arena.ofShared();
    FlashManifest manifest;
    List<MemorySegment> partitions;
    final List<Path> sharedFiles = new ArrayList<>();
    AutoCloseable pins;
    int inUse;
    long lastUsed = System.currentTimeMillis();
    double loadSeconds;

    Entry(String key, long bytes, boolean transientEntry) {
      this.key = key;
      this.bytes = bytes;
      this.transientEntry = transientEntry;
    }

    void free() {
      try {
        if (pins != null) {
          pins.close();
        }
      } catch (Exception e) {
        // Unpinning memory that is freed next: nothing to do about a failure.
      } finally {
        arena.close();
        for (Path f : sharedFiles) {
          try {
            Files.deleteIfExists(f);
          } catch (IOException e) {
            LOG.warning("cannot delete " + f + ": " + e.getMessage());
          }
        }
      }
    }
  }

  @Override
  public Lease lease(StoredModel model, Path folder) throws IOException {
    String key = ModelHost.key(model);
    FlashManifest manifest = manifests.read(folder);
    long bytes = manifest.partitionBytes();
    Entry entry;
    boolean mine;
    List<Entry> evicted = new ArrayList<>();
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("the host cache is closed");
      }
      entry = entries.get(key);
      if (entry != null && !model.equals(entry.source)) {
        // The store replaced the model (a new pull or registration of the same revision): drop
        // the old copy.
        if (entry.inUse > 0) {
          throw new PoolFullException(
              key + " changed in the store while a copy of the old files is in use; try again");
        }
        entries.remove(key);
        used -= entry.bytes;
        evicted.add(entry);
        entry = null;
      }
      if (entry != null) {
        entry.inUse++;
        entry.lastUsed = System.currentTimeMillis();
        mine = false;
      } else {
        boolean fits = bytes <= capacity;
        if (fits) {
          makeRoom(bytes, key, evicted);
        }
        entry = new Entry(key, bytes, !fits);
        entry.source = model;
        entry.inUse = 1;
        if (fits) {
          entries.put(key, entry);
          used += bytes;
        }
        mine = true;
      }
    }
    evicted.forEach(Entry::free);
    if (mine) {
      read(entry, manifest, folder);
    } else {
      awaitReady(entry);
    }
    return new EntryLease(entry, !mine);
  }

  private void read(Entry entry, FlashManifest manifest, Path folder) throws IOException {
    long t0 = System.nanoTime();
    try {
      List<MemorySegment> partitions =
          loader.load(folder, DeviceMap.cpu(), new PartitionTarget(allocator(entry, manifest)));
      try {
        entry.pins = pinning.pin(partitions);
      } catch (RuntimeException e) {
        // Unpinned memory still copies, at a fraction of the speed: worth a warning, not a failure.
        LOG.warning(
            "cannot pin " + entry.key + " (" + e.getMessage() + "); its GPU copies will be slower");
      }
      entry.manifest = manifest;
      entry.partitions = partitions;
      entry.loadSeconds = (System.nanoTime() - t0) / 1e9;
      entry.ready.complete(null);
    } catch (IOException | RuntimeException | Error e) {
      synchronized (this) {
        if (entries.get(entry.key) == entry) {
          entries.remove(entry.key);
          used -= entry.bytes;
        }
      }
      entry.ready.completeExceptionally(e);
      entry.free();
      throw e;
    }
  }

  /**
   * Shared files when there is a shared folder with room for the whole model, else private memory.
   */
  private PartitionTarget.Allocator allocator(Entry entry, FlashManifest manifest) {
    if (sharedDir.isPresent()) {
      Path dir = sharedDir.get();
      try {
        Files.createDirectories(dir);
        long usable = Files.getFileStore(dir).getUsableSpace();
        if (usable >= manifest.partitionBytes()) {
          String base = entry.key.replaceAll("[^A-Za-z0-9._-]", "_") + "-" + UUID.randomUUID();
          return (index, size) -> {
            Path file = dir.resolve(base + ".part" + index);
            entry.sharedFiles.add(file);
            return SharedMemory.create(file, size, entry.arena);
          };
        }
        LOG.warning(
            dir
                + " has "
                + ByteSize.format(usable)
                + " free, "
                + entry.key
                + " needs "
                + ByteSize.format(manifest.partitionBytes())
                + ": keeping it in private memory (clients load it themselves)");
      } catch (IOException e) {
        LOG.warning("cannot use " + dir + " for shared memory: " + e.getMessage());
      }
    }
    return PartitionTarget.anonymous(entry.arena);
  }

  private void awaitReady(Entry entry) throws IOException {
    try {
      entry.ready.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      release(entry);
      throw new InterruptedIOException("interrupted while " + entry.key + " was being read");
    } catch (ExecutionException e) {
      release(entry);
      Throwable cause = e.getCause();
      throw cause instanceof IOException io
          ? io
          : new IOException("reading " + entry.key + " failed: " + cause.getMessage(), cause);
    }
  }

  /** Evicts least recently used models not in use until {@code bytes} fit. Holds the lock. */
  private void makeRoom(long bytes, String key, List<Entry> evicted) throws PoolFullException {
    if (used + bytes <= capacity) {
      return;
    }
    List<Entry> idle =
        entries.values().stream()
            .filter(e -> e.inUse == 0 && e.ready.isDone())
            .sorted(Comparator.comparingLong(e -> e.lastUsed))
            .toList();
    long free = capacity - used;
    long reclaimable = idle.stream().mapToLong(e -> e.bytes).sum();
    if (free + reclaimable < bytes) {
      throw new PoolFullException(
          "the pool has no room for "
              + key
              + ": it needs "
              + ByteSize.format(bytes)
              + ", "
              + ByteSize.format(free)
              + " of "
              + ByteSize.format(capacity)
              + " are free and the models in use hold "
              + ByteSize.format(used - reclaimable)
              + " (raise --mem-pool-size or wait for them)");
    }
    for (Entry e : idle) {
      if (used + bytes <= capacity) {
        break;
      }
      entries.remove(e.key);
      used -= e.bytes;
      evicted.add(e);
    }
  }

  private void release(Entry entry) {
    boolean free;
    synchronized (this) {
      entry.inUse--;
      entry.lastUsed = System.currentTimeMillis();
      free = entry.inUse == 0 && (entry.transientEntry || closed);
    }
    if (free) {
      entry.free();
    }
  }

  @Override
  public boolean evict(String key) {
    Entry e;
    synchronized (this) {
      e = entries.get(key);
      if (e == null || e.inUse > 0 || !e.ready.isDone()) {
        return false;
      }
      entries.remove(key);
      used -= e.bytes;
    }
    e.free();
    return true;
  }

  /** Whether a model is resident and in use. */
  public synchronized boolean inUse(String key) {
    Entry e = entries.get(key);
    return e != null && e.inUse > 0;
  }

  @Override
  public ClearResult clear() {
    List<Entry> freed = new ArrayList<>();
    int skipped = 0;
    synchronized (this) {
      for (Entry e : List.copyOf(entries.values())) {
        if (e.inUse == 0 && e.ready.isDone()) {
          entries.remove(e.key);
          used -= e.bytes;
          freed.add(e);
        } else {
          skipped++;
        }
      }
    }
    freed.forEach(Entry::free);
    return new ClearResult(freed.size(), freed.stream().mapToLong(e -> e.bytes).sum(), skipped);
  }

  @Override
  public synchronized List<Resident> residents() {
    return entries.values().stream()
        .filter(e -> e.ready.isDone() && !e.ready.isCompletedExceptionally())
        .sorted(Comparator.comparingLong((Entry e) -> e.lastUsed).reversed())
        .map(e -> new Resident(e.key, e.bytes, e.inUse, e.lastUsed))
        .toList();
  }

  @Override
  public long capacity() {
    return capacity;
  }

  @Override
  public synchronized long used() {
    return used;
  }

  @Override
  public boolean pinned() {
    return pinning != HostPinning.NONE;
  }

  @Override
  public void close() {
    List<Entry> idle = new ArrayList<>();
    synchronized (this) {
      closed = true;
      for (Entry e : entries.values()) {
        if (e.inUse == 0 && e.ready.isDone()) {
          idle.add(e);
        }
      }
      entries.clear();
      used = 0;
    }
    idle.forEach(Entry::free);
  }

  private final class EntryLease implements Lease {
    private final Entry entry;
    private final boolean hit;
    private boolean closed;

    EntryLease(Entry entry, boolean hit) {
      this.entry = entry;
      this.hit = hit;
    }

    @Override
    public FlashManifest manifest() {
      return entry.manifest;
    }

    @Override
    public MemorySegment partition(int i) {
      return entry.partitions.get(i);
    }

    @Override
    public boolean cacheHit() {
      return hit;
    }

    @Override
    public double loadSeconds() {
      return hit ? 0 : entry.loadSeconds;
    }

    @Override
    public List<Path> sharedFiles() {
      return List.copyOf(entry.sharedFiles);
    }

    @Override
    public synchronized void close() {
      if (!closed) {
        closed = true;
        release(entry);
      }
    }
  }
}
