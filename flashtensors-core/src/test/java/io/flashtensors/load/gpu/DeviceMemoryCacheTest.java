package io.flashtensors.load.gpu;

import static io.flashtensors.load.gpu.GpuLoaderTest.assertSameBytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flashtensors.format.DType;
import io.flashtensors.format.SafetensorsCheckpoint;
import io.flashtensors.format.TestTensors;
import io.flashtensors.load.DeviceMap;
import io.flashtensors.memory.Tensor;
import io.flashtensors.testing.Await;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code device-memory-cache}: reuse of closed models' device allocations, on simulated GPUs. */
class DeviceMemoryCacheTest {

  private static final long KIB = 1024;
  private static final long MIB = 1024 * KIB;
  private static final DeviceMap GPU0 = DeviceMap.parse("{\"\": 0}");
  private static final DeviceMap GPU1 = DeviceMap.parse("{\"\": 1}");

  @TempDir Path dir;
  private final Arena arena = Arena.ofShared();
  private final List<AutoCloseable> closeLater = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : closeLater.reversed()) {
      c.close();
    }
    arena.close();
  }

  private GpuLoader loader(SimulatedGpuBackend backend, long deviceMemoryCache) {
    GpuLoader loader =
        GpuLoader.create(
            GpuLoaderOptions.builder()
                .memPoolSize(8 * MIB)
                .chunkSize(64 * KIB)
                .threads(3)
                .ringChunks(3)
                .gpuMemoryUtilization(1.0)
                .deviceMemoryCache(deviceMemoryCache)
                .build(),
            backend);
    closeLater.add(loader);
    return loader;
  }

  /** One safetensors file (one allocation per GPU) of {@code count} random BF16 tensors. */
  private Model model(String name, int count, long elements, long seed) throws IOException {
    Random random = new Random(seed);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      String tensor = "model.layers." + i + ".weight";
      // An odd element count leaves alignment padding between the tensors.
      tensors.put(
          tensor, TestTensors.random(arena, tensor, DType.BF16, new long[] {elements}, random));
    }
    Path path = dir.resolve(name);
    SafetensorsCheckpoint.writeSharded(path, tensors, 64 * MIB, Map.of("format", "pt"));
    return new Model(path, tensors);
  }

  private record Model(Path path, Map<String, Tensor> tensors) {}

  private static long cached(GpuLoader loader, int device) {
    return loader.metrics().deviceBytesCached().get(device);
  }

  private static long held(GpuLoader loader, int device) {
    return loader.metrics().deviceBytesHeld().get(device);
  }

  @ParameterizedTest(name = "device-memory-cache {0} bytes")
  @ValueSource(longs = {0, 64 * MIB})
  void aModelOfTheSameShapeGetsTheClosedOnesMemoryOnlyWhenTheCacheIsOn(long cacheBytes)
      throws Exception {
    Model a = model("a", 4, 100_001, 1);
    Model b = model("b", 4, 100_001, 2);
    SimulatedGpuBackend backend = new SimulatedGpuBackend(1, 64 * MIB);
    GpuLoader loader = loader(backend, cacheBytes);
    boolean on = cacheBytes > 0;

    long address;
    long bytes;
    try (GpuModel first = loader.load(a.path(), GPU0).get()) {
      assertSameBytes(first, a.tensors());
      address = first.allocations().getFirst().address();
      bytes = first.deviceBytes();
    }
    assertThat(backend.liveAllocations()).isEqualTo(on ? 1 : 0);
    assertThat(cached(loader, 0)).isEqualTo(on ? bytes : 0);
    assertThat(held(loader, 0)).as("gpu-memory-utilization counts models only").isZero();

    try (GpuModel second = loader.load(b.path(), GPU0).get()) {
      // The reused block still holds the first model's bytes: every tensor byte is rewritten.
      assertSameBytes(second, b.tensors());
      assertThat(backend.allocationsMade()).isEqualTo(on ? 1 : 2);
      if (on) {
        assertThat(second.allocations().getFirst().address()).isEqualTo(address);
      }
      assertThat(cached(loader, 0)).isZero();
      assertThat(held(loader, 0)).isEqualTo(bytes);
    }
    assertThat(loader.awaitIdle(Await.PATIENCE)).isTrue();
    assertThat(backend.liveAllocations()).isEqualTo(on ? 1 : 0);
    loader.close();
    assertThat(backend.liveAllocations()).as("close frees the cache").isZero();
  }

  @Test
  void aDifferentSizeOrAnotherGpuGetsFreshMemoryAndLeavesTheCachedBlock() throws Exception {
    Model small = model("small", 4, 100_001, 1);
    Model large = model("large", 4, 150_001, 2);
    Model sameAsSmall = model("same", 4, 100_001, 3);
    SimulatedGpuBackend backend = new SimulatedGpuBackend(2, 64 * MIB);
    GpuLoader loader = loader(backend, 64 * MIB);

    long smallBytes;
    try (GpuModel m = loader.load(small.path(), GPU0).get()) {
      smallBytes = m.deviceBytes();
    }
    try (GpuModel m = loader.load(large.path(), GPU0).get()) {
      assertSameBytes(m, large.tensors());
      assertThat(backend.allocationsMade()).as("no reuse across sizes").isEqualTo(2);
      assertThat(cached(loader, 0)).isEqualTo(smallBytes);
    }
    try (GpuModel m = loader.load(sameAsSmall.path(), GPU1).get()) {
      assertSameBytes(m, sameAsSmall.tensors());
      assertThat(backend.allocationsMade()).as("no reuse across GPUs").isEqualTo(3);
      assertThat(m.allocations().getFirst().device()).isEqualTo(1);
    }
    assertThat(cached(loader, 1)).isEqualTo(smallBytes);
    try (GpuModel m = loader.load(sameAsSmall.path(), GPU0).get()) {
      assertSameBytes(m, sameAsSmall.tensors());
      assertThat(backend.allocationsMade()).isEqualTo(3);
    }
    assertThat(loader.releaseCachedDeviceMemory()).isPositive();
    assertThat(backend.liveAllocations()).isZero();
    assertThat(loader.metrics().deviceBytesCached().values()).allMatch(v -> v == 0);
  }

  @Test
  void pastTheLimitTheLeastRecentlyFreedBlockIsFreedFirst() throws Exception {
    Model first = model("first", 2, 100_001, 1); // about 400 KB
    Model second = model("second", 2, 120_001, 2); // about 480 KB
    Model huge = model("huge", 2, 400_001, 3); // about 1.6 MB: larger than the cache
    SimulatedGpuBackend backend = new SimulatedGpuBackend(1, 64 * MIB);
    GpuLoader loader = loader(backend, MIB);

    loader.load(first.path(), GPU0).get().close();
    GpuModel keep = loader.load(second.path(), GPU0).get();
    long secondBytes = keep.deviceBytes();
    keep.close();
    assertThat(backend.liveAllocations()).as("first + second fit 1 MiB").isEqualTo(2);

    GpuModel third = loader.load(model("third", 2, 130_001, 4).path(), GPU0).get();
    long thirdBytes = third.deviceBytes();
    third.close();
    // 400 + 480 + 520 KB pass 1 MiB: the first block, freed longest ago, goes.
    assertThat(cached(loader, 0)).isEqualTo(secondBytes + thirdBytes);
    assertThat(backend.liveAllocations()).isEqualTo(2);

    loader.load(huge.path(), GPU0).get().close();
    assertThat(cached(loader, 0))
        .as("a block larger than the cache is freed")
        .isEqualTo(secondBytes + thirdBytes);

    int made = backend.allocationsMade();
    try (GpuModel again = loader.load(second.path(), GPU0).get()) {
      assertSameBytes(again, second.tensors());
      assertThat(backend.allocationsMade()).isEqualTo(made);
    }
    try (GpuModel again = loader.load(first.path(), GPU0).get()) {
      assertSameBytes(again, first.tensors());
      assertThat(backend.allocationsMade()).as("the first block was evicted").isEqualTo(made + 1);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"free-memory check", "driver refusal"})
  void aLoadThatNeedsTheCachedMemoryFreesItAndSucceeds(String where) throws Exception {
    Model small = model("small", 4, 100_001, 1); // about 800 KB
    Model large = model("large", 4, 400_001, 2); // about 3.2 MB
    SimulatedGpuBackend backend = new SimulatedGpuBackend(1, 3 * MIB + 512 * KIB);
    backend.reportAllMemoryFree = where.equals("driver refusal");
    GpuLoader loader = loader(backend, 64 * MIB);

    loader.load(small.path(), GPU0).get().close();
    assertThat(cached(loader, 0)).isPositive();
    try (GpuModel m = loader.load(large.path(), GPU0).get()) {
      assertSameBytes(m, large.tensors());
      assertThat(cached(loader, 0)).isZero();
      assertThat(backend.liveAllocations()).isEqualTo(1);
    }
  }

  @Test
  void gpuMemoryUtilizationCountsModelsNotCachedBlocks() throws Exception {
    Model a = model("a", 4, 100_001, 1); // about 800 KB
    Model b = model("b", 4, 110_001, 2); // about 880 KB
    SimulatedGpuBackend backend = new SimulatedGpuBackend(1, 2 * MIB);
    GpuLoader loader =
        GpuLoader.create(
            GpuLoaderOptions.builder()
                .memPoolSize(8 * MIB)
                .chunkSize(64 * KIB)
                .threads(3)
                .gpuMemoryUtilization(0.5) // 1 MiB: one model at a time
                .deviceMemoryCache(64 * MIB)
                .build(),
            backend);
    closeLater.add(loader);

    loader.load(a.path(), GPU0).get().close();
    try (GpuModel m = loader.load(b.path(), GPU0).get()) {
      assertSameBytes(m, b.tensors());
      assertThat(cached(loader, 0)).isPositive();
    }
  }

  @Test
  void modelsClosedAfterTheLoaderAreFreedNotCached() throws Exception {
    Model a = model("a", 2, 100_001, 1);
    SimulatedGpuBackend backend = new SimulatedGpuBackend(1, 64 * MIB);
    GpuLoader loader = loader(backend, 64 * MIB);
    GpuModel open = loader.load(a.path(), GPU0).get();
    loader.load(a.path(), GPU0).get().close();
    assertThat(backend.liveAllocations()).isEqualTo(2);
    loader.close();
    assertThat(backend.liveAllocations()).isEqualTo(1);
    open.close();
    assertThat(backend.liveAllocations()).isZero();
  }

  @Test
  void aFailedLoadFreesItsMemoryInsteadOfCachingIt() throws Exception {
    Model a = model("a", 4, 100_001, 1);
    Model b = model("b", 4, 100_001, 2);
    SimulatedGpuBackend backend = new SimulatedGpuBackend(1, 64 * MIB);
    GpuLoader loader = loader(backend, 64 * MIB);
    loader.load(a.path(), GPU0).get().close();
    assertThat(backend.liveAllocations()).isEqualTo(1);

    backend.failCopyNumber = backend.copies() + 3; // the next load takes the block, then fails
    assertThatThrownBy(() -> loader.load(b.path(), GPU0).get())
        .isInstanceOf(ExecutionException.class)
        .cause()
        .hasMessageContaining("CUDA_ERROR_ILLEGAL_ADDRESS");
    assertThat(loader.awaitIdle(Await.PATIENCE)).isTrue();
    assertThat(backend.allocationsMade()).as("the failed load reused the block").isEqualTo(1);
    assertThat(backend.liveAllocations()).isZero();
    assertThat(cached(loader, 0)).isZero();
    assertThat(held(loader, 0)).isZero();
  }

  @Test
  void aNegativeCacheSizeIsRefused() {
    assertThatThrownBy(() -> GpuLoaderOptions.builder().deviceMemoryCache(-1).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("device-memory-cache");
  }
}
