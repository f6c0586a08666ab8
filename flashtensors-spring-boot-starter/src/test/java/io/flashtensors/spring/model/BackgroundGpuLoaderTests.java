package io.flashtensors.spring.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.flashtensors.cuda.MemoryInfo;
import io.flashtensors.load.gpu.GpuBackend;
import io.flashtensors.load.gpu.GpuLoader;
import io.flashtensors.load.gpu.GpuLoaderOptions;
import io.flashtensors.memory.HostSlab;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class BackgroundGpuLoaderTests {

  private static final long MB = 1 << 20;

  @Test
  void thePoolReadsEmptyUntilPinnedThenReportsTheLoadersNumbers() throws Exception {
    CountDownLatch pin = new CountDownLatch(1);
    BackgroundGpuLoader loader =
        new BackgroundGpuLoader(
            () -> {
              awaitLatch(pin);
              return GpuLoader.create(
                  GpuLoaderOptions.builder().memPoolSize(8 * MB).chunkSize(MB).build(),
                  new HostOnlyBackend());
            });
    try {
      assertThat(loader.ifReady()).isEmpty();
      assertThat(loader.capacityBytes()).isZero();

      pin.countDown();

      assertThat(loader.get()).isNotNull();
      assertThat(loader.capacityBytes()).isEqualTo(8 * MB);
      assertThat(loader.usedBytes()).isZero();
      assertThat(loader.residentModels()).isZero();
      assertThat(loader.cacheHits()).isZero();
      assertThat(loader.failure()).isEmpty();
    } finally {
      loader.close();
    }
  }

  @Test
  void aFailedCreationIsKeptAndThrownToCallers() {
    BackgroundGpuLoader loader =
        new BackgroundGpuLoader(
            () -> {
              throw new IllegalStateException("CUDA driver not found");
            });

    await().atMost(Duration.ofSeconds(5)).until(() -> loader.failure().isPresent());
    assertThat(loader.failure().get()).hasMessage("CUDA driver not found");
    assertThat(loader.capacityBytes()).isZero();
    assertThatThrownBy(loader::get).hasMessage("CUDA driver not found");
    loader.close();
  }

  private static void awaitLatch(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
    }
  }

  /** Pins "host memory" from an arena; no device work is expected of it. */
  static final class HostOnlyBackend implements GpuBackend {

    @Override
    public int deviceCount() {
      return 1;
    }

    @Override
    public MemoryInfo memoryInfo(int device) {
      return new MemoryInfo(1L << 30, 1L << 30);
    }

    @Override
    public Allocation allocate(int device, long bytes) {
      throw new UnsupportedOperationException();
    }

    @Override
    public long maxPinnedBlock() {
      return 4 * MB;
    }

    @Override
    public HostSlab allocatePinned(long bytes) {
      Arena arena = Arena.ofShared();
      MemorySegment segment = arena.allocate(bytes, 4096);
      return new HostSlab() {
        @Override
        public MemorySegment segment() {
          return segment;
        }

        @Override
        public void close() {
          if (arena.scope().isAlive()) {
            arena.close();
          }
        }
      };
    }

    @Override
    public Stream openStream(int device) {
      throw new UnsupportedOperationException();
    }
  }
}
