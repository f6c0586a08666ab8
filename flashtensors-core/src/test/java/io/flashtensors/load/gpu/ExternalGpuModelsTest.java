package io.flashtensors.load.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ExternalGpuModelsTest {

  @Test
  void closeShouldFreeTheAllocationsOnce() {
    AtomicInteger closed = new AtomicInteger();
    GpuBackend.Allocation a =
        new GpuBackend.Allocation() {
          @Override
          public int device() {
            return 0;
          }

          @Override
          public long address() {
            return 4096;
          }

          @Override
          public long byteSize() {
            return 4096;
          }

          @Override
          public void copyToHost(long offset, MemorySegment dst) {}

          @Override
          public void fill(byte value) {}

          @Override
          public void close() {
            closed.incrementAndGet();
          }
        };
    GpuModel m = ExternalGpuModels.of("a/b", Path.of("x"), Map.of(), List.of(a, a), null);

    m.close();
    m.close();

    assertThat(closed.get()).isEqualTo(2);
    assertThat(m.isClosed()).isTrue();
  }
}
