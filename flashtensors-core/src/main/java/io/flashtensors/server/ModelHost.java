package io.flashtensors.server;

import io.flashtensors.format.FlashManifest;
import io.flashtensors.store.StoredModel;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;

/**
 * The daemon's resident cache: models of the store held in host memory, so that copying one to a
 * GPU needs no disk read. Bounded by {@code mem-pool-size}; evicts least recently used models that
 * nothing is using; never drops a model on its own otherwise.
 */
public interface ModelHost extends AutoCloseable {

  /**
   * Makes a model resident (reading it unless it is) and marks it in use until the lease closes.
   *
   * @throws IOException when the files cannot be read
   * @throws PoolFullException when the models in use leave no room for it
   */
  Lease lease(StoredModel model, Path folder) throws IOException;

  /** Drops a model that is not in use; false when it is not resident. */
  boolean evict(String key);

  /** Drops every model not in use. */
  ClearResult clear();

  /** The resident models, most recently used first. */
  List<Resident> residents();

  /** Bytes the cache may hold. */
  long capacity();

  /** Bytes it holds now (resident models and loads in flight). */
  long used();

  /** Whether its memory is page-locked (pinned), so copies to a GPU run at full PCIe speed. */
  boolean pinned();

  @Override
  void close();

  /** The cache key of a store entry. */
  static String key(StoredModel model) {
    return model.id() + "@" + model.revision();
  }

  /** A resident model held in use. Closing it lets the cache evict the model again. */
  interface Lease extends AutoCloseable {
    /** The model's manifest: partitions and tensors. */
    FlashManifest manifest();

    /** The host copy of partition {@code i}, byte for byte the partition file. */
    MemorySegment partition(int i);

    /** Whether the model was resident already. */
    boolean cacheHit();

    /** Seconds it took to make the model resident (0 on a hit). */
    double loadSeconds();

    /**
     * The files on a memory file system holding the partitions, in order, when the model is kept in
     * shared memory; empty otherwise. Another process on this machine may map them read-only.
     */
    List<Path> sharedFiles();

    @Override
    void close();
  }

  /**
   * A resident model.
   *
   * @param key {@code org/name@revision}
   * @param bytes host bytes it holds
   * @param inUse leases held on it
   * @param lastUsedMillis when a lease on it was last taken or closed (epoch milliseconds)
   */
  record Resident(String key, long bytes, int inUse, long lastUsedMillis) {}

  /**
   * What {@link #clear()} did.
   *
   * @param evicted models dropped
   * @param freedBytes bytes freed
   * @param skippedInUse models kept because they are in use
   */
  record ClearResult(int evicted, long freedBytes, int skippedInUse) {}

  /** No room in the pool for a model, with the numbers. */
  final class PoolFullException extends IOException {
    private static final long serialVersionUID = 1L;

    public PoolFullException(String message) {
      super(message);
    }
  }
}
