package io.flashtensors.load.gpu;

import io.flashtensors.format.ModelFiles;
import io.flashtensors.memory.PinnedChunk;
import io.flashtensors.memory.PinnedPool;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Models kept in the pinned pool after their first load, so that loading them again is one pass of
 * host-to-device copies.
 *
 * <p>Capacity is the pool, counted in chunks (bytes). When room is needed the least recently used
 * models that no load is using are evicted; a model in use is never evicted. Nothing else removes a
 * model: only {@link #evict} and {@link #clear}, called explicitly.
 */
final class ResidentCache {

  private final PinnedPool pool;
  private final Consumer<ResidentModel> onEvict;
  private final Map<String, Entry> entries = new LinkedHashMap<>();
  private long clock;

  ResidentCache(PinnedPool pool, Consumer<ResidentModel> onEvict) {
    this.pool = pool;
    this.onEvict = onEvict;
  }

  /**
   * Bytes of one chunk read from a file, kept in a pool chunk.
   *
   * @param file index into the model's files
   * @param fileOffset first byte of the file in the chunk
   * @param length bytes of the file in the chunk
   * @param chunk where they are
   */
  record Extent(int file, long fileOffset, int length, PinnedChunk chunk) {}

  /** A model being cached or cached. */
  static final class Entry {
    final String key;
    final ModelFiles model;
    final List<String> fingerprint;
    final List<PinnedChunk> chunks;
    List<Extent> extents = List.of();
    boolean ready;
    int refs;
    long lastUse;

    Entry(String key, ModelFiles model, List<String> fingerprint, List<PinnedChunk> chunks) {
      this.key = key;
      this.model = model;
      this.fingerprint = fingerprint;
      this.chunks = chunks;
    }

    long bytes() {
      return chunks.stream().mapToLong(PinnedChunk::byteSize).sum();
    }

    ResidentModel describe() {
      return new ResidentModel(key, model.modelId(), bytes(), refs, ready);
    }
  }

  /** The cached files of {@code key}, or null: lets a hit skip re-reading headers. */
  synchronized ModelFiles files(String key) {
    Entry e = entries.get(key);
    return e == null || !e.ready ? null : e.model;
  }

  /**
   * The resident model {@code key}, marked in use, or null when it is not resident (or is still
   * being cached, or its files changed since: then it is dropped as soon as no load uses it).
   */
  Entry acquire(String key, List<String> fingerprint) {
    List<Entry> evicted = new ArrayList<>();
    Entry hit;
    synchronized (this) {
      hit = entries.get(key);
      if (hit != null && hit.ready && !hit.fingerprint.equals(fingerprint)) {
        if (hit.refs == 0) {
          remove(hit, evicted);
        }
        hit = null;
      }
      if (hit != null && hit.ready) {
        hit.refs++;
        hit.lastUse = ++clock;
      } else {
        hit = null;
      }
    }
    notifyEvicted(evicted);
    return hit;
  }

  /**
   * Room for caching model {@code key} in {@code chunks} chunks, evicting unused models if that
   * makes enough room; null when the model is already being cached, is larger than the pool, or
   * models in use hold too much of it.
   */
  Entry reserve(String key, ModelFiles model, List<String> fingerprint, int chunks) {
    List<Entry> evicted = new ArrayList<>();
    Entry reserved = null;
    synchronized (this) {
      Entry existing = entries.get(key);
      if (existing != null && existing.refs == 0 && existing.ready) {
        remove(existing, evicted);
        existing = null;
      }
      if (existing == null && chunks <= pool.chunkCount()) {
        if (makeRoom(chunks, false, evicted)) {
          reserved = new Entry(key, model, fingerprint, pool.tryAcquire(chunks));
          reserved.refs = 1;
          reserved.lastUse = ++clock;
          entries.put(key, reserved);
        }
      }
    }
    notifyEvicted(evicted);
    return reserved;
  }

  /** The reserved model is fully read: it becomes resident. */
  synchronized void commit(Entry e, List<Extent> extents) {
    e.extents = List.copyOf(extents);
    e.ready = true;
    e.refs--;
    e.lastUse = ++clock;
  }

  /** The reserved model's load failed: its chunks go back to the pool. */
  synchronized void abort(Entry e) {
    if (entries.get(e.key) == e) {
      entries.remove(e.key);
    }
    pool.release(e.chunks);
  }

  /** A load no longer uses the resident model. */
  synchronized void release(Entry e) {
    e.refs--;
    e.lastUse = ++clock;
  }

  /**
   * Up to {@code wanted} chunks for a streamed load, evicting unused models when the pool has fewer
   * free; empty when models in use and other loads hold every chunk.
   */
  List<PinnedChunk> ring(int wanted) {
    List<Entry> evicted = new ArrayList<>();
    List<PinnedChunk> taken;
    synchronized (this) {
      int target = Math.min(wanted, pool.chunkCount());
      makeRoom(target, true, evicted);
      taken = pool.tryAcquire(Math.min(target, pool.freeChunks()));
    }
    notifyEvicted(evicted);
    return taken;
  }

  /** A streamed load's chunks go back. */
  synchronized void releaseRing(List<PinnedChunk> chunks) {
    pool.release(chunks);
  }

  /** Evicts model {@code key} now; false when it is not resident or a load is using it. */
  boolean evict(String key) {
    List<Entry> evicted = new ArrayList<>();
    synchronized (this) {
      Entry e = entries.get(key);
      if (e == null || !e.ready || e.refs > 0) {
        return false;
      }
      remove(e, evicted);
    }
    notifyEvicted(evicted);
    return true;
  }

  /** Evicts every model no load is using; returns how many. */
  int clear() {
    List<Entry> evicted = new ArrayList<>();
    synchronized (this) {
      for (Entry e : List.copyOf(entries.values())) {
        if (e.ready && e.refs == 0) {
          remove(e, evicted);
        }
      }
    }
    notifyEvicted(evicted);
    return evicted.size();
  }

  /** Resident models and models being cached, least recently used first. */
  synchronized List<ResidentModel> list() {
    List<Entry> sorted = new ArrayList<>(entries.values());
    sorted.sort(Comparator.comparingLong(e -> e.lastUse));
    return Collections.unmodifiableList(sorted.stream().map(Entry::describe).toList());
  }

  /** Bytes of the pool held by resident models. */
  synchronized long residentBytes() {
    return entries.values().stream().filter(e -> e.ready).mapToLong(Entry::bytes).sum();
  }

  /**
   * Frees least recently used unused models until {@code chunks} are free. Unless {@code partial},
   * evicts nothing when that cannot be reached.
   */
  private boolean makeRoom(int chunks, boolean partial, List<Entry> evicted) {
    int free = pool.freeChunks();
    if (free >= chunks) {
      return true;
    }
    List<Entry> candidates =
        entries.values().stream()
            .filter(e -> e.ready && e.refs == 0)
            .sorted(Comparator.comparingLong(e -> e.lastUse))
            .toList();
    int reclaimable = candidates.stream().mapToInt(e -> e.chunks.size()).sum();
    if (free + reclaimable < chunks && !partial) {
      return false;
    }
    for (Entry e : candidates) {
      if (pool.freeChunks() >= chunks) {
        break;
      }
      remove(e, evicted);
    }
    return pool.freeChunks() >= chunks;
  }

  private void remove(Entry e, List<Entry> evicted) {
    entries.remove(e.key);
    pool.release(e.chunks);
    evicted.add(e);
  }

  private void notifyEvicted(List<Entry> evicted) {
    for (Entry e : evicted) {
      onEvict.accept(e.describe());
    }
  }
}
