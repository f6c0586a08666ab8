package io.flashtensors.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PinnedPoolTest {

  private static final long MIB = 1 << 20;

  /** Plain off-heap slabs that record whether they were freed. */
  static final class ArenaSlab implements HostSlab {
    final Arena arena = Arena.ofShared();
    final MemorySegment segment;
    boolean closed;

    ArenaSlab(long bytes) {
      segment = arena.allocate(bytes, 4096);
    }

    @Override
    public MemorySegment segment() {
      return segment;
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        arena.close();
      }
    }
  }

  @Test
  void slabsStayUnderTheLimitAndHoldWholeChunks() {
    List<ArenaSlab> made = new ArrayList<>();
    try (PinnedPool pool =
        PinnedPool.allocate(
            10 * MIB + 123,
            MIB,
            3 * MIB + 5,
            bytes -> {
              ArenaSlab s = new ArenaSlab(bytes);
              synchronized (made) {
                made.add(s);
              }
              return s;
            },
            2)) {
      assertThat(pool.chunkCount()).isEqualTo(10);
      assertThat(pool.capacity()).isEqualTo(10 * MIB);
      assertThat(pool.slabCount()).isEqualTo(4);
      assertThat(made)
          .allSatisfy(s -> assertThat(s.segment.byteSize()).isLessThanOrEqualTo(3 * MIB));
      assertThat(made.stream().mapToLong(s -> s.segment.byteSize()).sum()).isEqualTo(10 * MIB);
      assertThat(pool.allocationTime()).isPositive();
    }
    assertThat(made).allSatisfy(s -> assertThat(s.closed).isTrue());
  }

  @Test
  void chunksAreDisjointAndWritable() {
    try (PinnedPool pool = PinnedPool.allocate(8 * MIB, MIB, 4 * MIB, ArenaSlab::new, 1)) {
      List<PinnedChunk> all = pool.tryAcquire(8);
      for (PinnedChunk c : all) {
        c.segment().fill((byte) c.index());
      }
      for (PinnedChunk c : all) {
        assertThat(c.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, MIB - 1))
            .isEqualTo((byte) c.index());
        assertThat(c.byteSize()).isEqualTo(MIB);
      }
    }
  }

  @Test
  void acquisitionIsAllOrNothing() {
    try (PinnedPool pool = PinnedPool.allocate(4 * MIB, MIB, 4 * MIB, ArenaSlab::new, 1)) {
      List<PinnedChunk> three = pool.tryAcquire(3);
      assertThat(three).extracting(PinnedChunk::index).containsExactly(0, 1, 2);
      assertThat(pool.tryAcquire(2)).isEmpty();
      assertThat(pool.freeChunks()).isEqualTo(1);
      assertThat(pool.usedBytes()).isEqualTo(3 * MIB);
      pool.release(three.subList(0, 2));
      assertThat(pool.tryAcquire(3)).extracting(PinnedChunk::index).containsExactly(0, 1, 3);
      assertThat(pool.freeChunks()).isZero();
    }
  }

  @Test
  void releasingTwiceIsABug() {
    try (PinnedPool pool = PinnedPool.allocate(2 * MIB, MIB, 4 * MIB, ArenaSlab::new, 1)) {
      List<PinnedChunk> one = pool.tryAcquire(1);
      pool.release(one);
      assertThatThrownBy(() -> pool.release(one))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("released twice");
      assertThat(pool.freeChunks()).isEqualTo(2);
    }
  }

  @Test
  void aFailedAllocationFreesWhatItTook() {
    AtomicInteger calls = new AtomicInteger();
    List<ArenaSlab> made = new ArrayList<>();
    assertThatThrownBy(
            () ->
                PinnedPool.allocate(
                    6 * MIB,
                    MIB,
                    2 * MIB,
                    bytes -> {
                      if (calls.incrementAndGet() == 2) {
                        throw new IllegalStateException("cuMemHostAlloc failed: OUT_OF_MEMORY");
                      }
                      ArenaSlab s = new ArenaSlab(bytes);
                      synchronized (made) {
                        made.add(s);
                      }
                      return s;
                    },
                    1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("allocating the pinned pool failed after 4 MiB of 6 MiB")
        .hasMessageContaining("OUT_OF_MEMORY");
    assertThat(made).hasSize(2).allSatisfy(s -> assertThat(s.closed).isTrue());
  }

  @Test
  void badSizesAreRefusedWithTheSettingName() {
    assertThatThrownBy(() -> PinnedPool.allocate(8 * MIB, 1000, 4 * MIB, ArenaSlab::new, 1))
        .hasMessageContaining("chunk-size must be a positive multiple of 4 KiB");
    assertThatThrownBy(() -> PinnedPool.allocate(MIB, 2 * MIB, 4 * MIB, ArenaSlab::new, 1))
        .hasMessageContaining("mem-pool-size");
  }

  @Test
  void closedPoolsRefuseWork() {
    PinnedPool pool = PinnedPool.allocate(2 * MIB, MIB, 4 * MIB, ArenaSlab::new, 1);
    List<PinnedChunk> held = pool.tryAcquire(1);
    pool.close();
    assertThatThrownBy(() -> pool.tryAcquire(1)).hasMessageContaining("closed");
    assertThatThrownBy(() -> held.getFirst().segment().fill((byte) 1))
        .isInstanceOf(IllegalStateException.class);
  }
}
