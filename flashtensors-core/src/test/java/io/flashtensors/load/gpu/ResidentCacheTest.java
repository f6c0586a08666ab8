package io.flashtensors.load.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashtensors.format.ModelFiles;
import io.flashtensors.memory.HostSlab;
import io.flashtensors.memory.PinnedPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ResidentCacheTest {

  private static final long CHUNK = 4096;

  private final PinnedPool pool =
      PinnedPool.allocate(
          10 * CHUNK,
          CHUNK,
          64 * CHUNK,
          bytes -> {
            Arena arena = Arena.ofShared();
            MemorySegment s = arena.allocate(bytes, 4096);
            return new HostSlab() {
              @Override
              public MemorySegment segment() {
                return s;
              }

              @Override
              public void close() {
                arena.close();
              }
            };
          },
          1);
  private final List<String> evicted = new ArrayList<>();
  private final ResidentCache cache = new ResidentCache(pool, m -> evicted.add(m.key()));

  @AfterEach
  void closePool() {
    pool.close();
  }

  private static ModelFiles files(String id) {
    return new ModelFiles(
        Path.of(id), ModelFiles.Format.SAFETENSORS, id, null, Map.of(), List.of(), List.of());
  }

  private ResidentCache.Entry cached(String key, int chunks) {
    ResidentCache.Entry e = cache.reserve(key, files(key), List.of("v1"), chunks);
    assertThat(e).as("room for " + key).isNotNull();
    cache.commit(e, List.of());
    return e;
  }

  @Test
  void modelsInUseAreNeverEvicted() {
    cached("a", 4);
    cached("b", 4);
    ResidentCache.Entry inUse = cache.acquire("a", List.of("v1"));
    assertThat(inUse).isNotNull();

    // 'a' is least recently used before the acquire, but in use: only 'b' may go.
    assertThat(cache.reserve("c", files("c"), List.of("v1"), 6)).isNotNull();
    assertThat(evicted).containsExactly("b");

    // Nothing evictable is left to make room for 'd'; 'a' stays.
    assertThat(cache.reserve("d", files("d"), List.of("v1"), 2)).isNull();
    assertThat(evicted).containsExactly("b");
    assertThat(cache.evict("a")).isFalse();

    cache.release(inUse);
    assertThat(cache.evict("a")).isTrue();
    assertThat(evicted).containsExactly("b", "a");
  }

  @Test
  void aReservationThatCannotFitEvictsNothing() {
    cached("a", 4);
    cached("b", 4);
    assertThat(cache.reserve("huge", files("huge"), List.of("v1"), 11)).isNull();
    assertThat(evicted).isEmpty();
    assertThat(cache.list()).extracting(ResidentModel::key).containsExactly("a", "b");
  }

  @Test
  void staleCopiesAreDroppedOnTheNextLookup() {
    cached("a", 4);
    assertThat(cache.acquire("a", List.of("v2"))).isNull();
    assertThat(evicted).containsExactly("a");
    assertThat(pool.freeChunks()).isEqualTo(10);
  }

  @Test
  void modelsBeingCachedAreNotHitsAndNotReservedTwice() {
    ResidentCache.Entry loading = cache.reserve("a", files("a"), List.of("v1"), 3);
    assertThat(cache.acquire("a", List.of("v1"))).isNull();
    assertThat(cache.reserve("a", files("a"), List.of("v1"), 3)).isNull();
    assertThat(cache.list()).singleElement().satisfies(m -> assertThat(m.ready()).isFalse());
    cache.abort(loading);
    assertThat(cache.list()).isEmpty();
    assertThat(pool.freeChunks()).isEqualTo(10);
  }

  @Test
  void theRingTakesWhatIsFreeAndEvictsOnlyUnusedModels() {
    cached("a", 4);
    cached("b", 4);
    ResidentCache.Entry inUse = cache.acquire("b", List.of("v1"));
    var ring = cache.ring(5);
    assertThat(ring).hasSize(5);
    assertThat(evicted).containsExactly("a");
    var more = cache.ring(5);
    assertThat(more).hasSize(1);
    assertThat(cache.ring(1)).isEmpty();
    cache.releaseRing(ring);
    cache.releaseRing(more);
    cache.release(inUse);
    assertThat(cache.clear()).isEqualTo(1);
    assertThat(pool.freeChunks()).isEqualTo(10);
  }
}
