package io.flashtensors.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HostMemoryTest {

  @ParameterizedTest
  @ValueSource(longs = {0, 1, 4096, 1 << 20, (16L << 20) + 4096})
  void blocksArePageAlignedZeroedWritableAndFreedWithTheirArena(long size) {
    MemorySegment block;
    try (Arena arena = Arena.ofShared()) {
      block = HostMemory.allocate(size, arena);
      assertThat(block.byteSize()).isEqualTo(size);
      assertThat(block.address() % HostMemory.ALIGNMENT).isZero();
      for (long at = 0; at < size; at += 4096) {
        assertThat(block.get(ValueLayout.JAVA_BYTE, at)).isZero();
        block.set(ValueLayout.JAVA_BYTE, at, (byte) 7);
        assertThat(block.get(ValueLayout.JAVA_BYTE, at)).isEqualTo((byte) 7);
      }
    }
    if (size > 0) {
      MemorySegment freed = block;
      assertThatThrownBy(() -> freed.get(ValueLayout.JAVA_BYTE, 0))
          .isInstanceOf(IllegalStateException.class);
    }
  }

  @ParameterizedTest
  @ValueSource(longs = {-1})
  void negativeSizesAreRejected(long size) {
    try (Arena arena = Arena.ofConfined()) {
      assertThatThrownBy(() -> HostMemory.allocate(size, arena))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
