package io.flashtensors.load.gpu;

import static io.flashtensors.load.gpu.GpuLoaderTest.assertSameBytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.flashtensors.cuda.Cuda;
import io.flashtensors.cuda.CudaContext;
import io.flashtensors.cuda.DeviceBuffer;
import io.flashtensors.cuda.MemoryInfo;
import io.flashtensors.format.DType;
import io.flashtensors.format.FlashConverter;
import io.flashtensors.format.SafetensorsCheckpoint;
import io.flashtensors.format.TestTensors;
import io.flashtensors.load.DeviceMap;
import io.flashtensors.memory.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The GPU load path on a real GPU: bytes on the device equal the source for every dtype; resident
 * hits; eviction; streaming; cancellation; out of memory. Leak checks read {@code cuMemGetInfo}.
 */
@Tag("gpu")
class GpuLoaderCudaTest {

  private static final long MIB = 1 << 20;
  private static final DeviceMap GPU0 = DeviceMap.parse("{\"\": 0}");

  @TempDir static Path dir;
  private static final Arena arena = Arena.ofShared();
  private static CudaContext ctx;
  private static CudaBackend cuda;

  @BeforeAll
  static void needsCuda() {
    assumeTrue(Cuda.isAvailable(), () -> "GPU tests skipped: " + Cuda.availability().reason());
    ctx = Cuda.device(0).context();
    cuda = new CudaBackend();
    // The driver sets up some state on first use of streams, events and allocations and keeps it;
    // do that now so that cuMemGetInfo before and after a test compares like with like.
    try (GpuBackend.Stream s = cuda.openStream(0);
        GpuBackend.Allocation a = cuda.allocate(0, 64 * MIB);
        var slab = cuda.allocatePinned(MIB)) {
      s.copyAsync(slab.segment(), a, 0);
      try (GpuBackend.Fence f = s.fence()) {
        f.await();
      }
    }
  }

  @AfterAll
  static void freeArena() {
    arena.close();
  }

  private static GpuLoader loader(GpuBackend backend, long pool, long chunk) {
    return GpuLoader.create(
        GpuLoaderOptions.builder()
            .memPoolSize(pool)
            .chunkSize(chunk)
            .threads(8)
            .ringChunks(4)
            .build(),
        backend);
  }

  private static Map<String, Tensor> model(int count, long elements, long seed) {
    Random random = new Random(seed);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      String name = "model.layers." + i + ".mlp.weight";
      tensors.put(name, TestTensors.random(arena, name, DType.BF16, new long[] {elements}, random));
    }
    return tensors;
  }

  private static Path safetensors(String name, Map<String, Tensor> tensors, long shard)
      throws IOException {
    Path path = dir.resolve(name);
    if (!Files.exists(path)) {
      SafetensorsCheckpoint.writeSharded(path, tensors, shard, Map.of("format", "pt"));
    }
    return path;
  }

  /** The loader is idle and no load holds a pinned chunk or device memory. */
  private static void assertIdle(GpuLoader loader) throws Exception {
    assertThat(loader.awaitIdle(Duration.ofSeconds(30))).isTrue();
    assertThat(loader.metrics().poolUsedBytes() - loader.metrics().poolResidentBytes()).isZero();
    assertThat(loader.metrics().deviceBytesHeld().values()).allMatch(v -> v == 0);
  }

  /**
   * Device memory came back (checked once the loader's streams are gone too). The driver keeps
   * bookkeeping for streams and events in 2 MiB pages that it returns lazily, so free memory may
   * differ by one such page; every allocation these tests make is larger, so a leak still shows.
   */
  private static void assertMemoryBack(long freeBefore) {
    assertThat(ctx.memoryInfo().free())
        .as("cuMemGetInfo free")
        .isCloseTo(freeBefore, org.assertj.core.data.Offset.offset(DRIVER_PAGE));
  }

  static final long DRIVER_PAGE = 2 * MIB;

  @Test
  void withTheDeviceMemoryCacheASameShapedModelReusesTheMemoryByteForByte() throws Exception {
    Map<String, Tensor> a = model(4, 3_000_001, 21);
    Map<String, Tensor> b = model(4, 3_000_001, 22);
    Path pa = safetensors("reuse-a", a, 64 * MIB);
    Path pb = safetensors("reuse-b", b, 64 * MIB);
    long before = ctx.memoryInfo().free();
    try (GpuLoader loader =
        GpuLoader.create(
            GpuLoaderOptions.builder()
                .memPoolSize(64 * MIB)
                .chunkSize(4 * MIB)
                .threads(8)
                .deviceMemoryCache(256 * MIB)
                .build(),
            cuda)) {
      long address;
      try (GpuModel first = loader.load(pa, GPU0).get()) {
        assertSameBytes(first, a);
        address = first.allocations().getFirst().address();
      }
      assertThat(loader.metrics().deviceBytesCached().get(0)).isPositive();
      try (GpuModel second = loader.load(pb, GPU0).get()) {
        assertThat(second.allocations().getFirst().address()).isEqualTo(address);
        assertSameBytes(second, b);
      }
      assertIdle(loader);
    }
    assertMemoryBack(before);
  }

  @ParameterizedTest(name = "chunk {0} MiB, {1}")
  @CsvSource({"1, safetensors", "1, flash", "4, safetensors", "4, flash"})
  void everyDtypeArrivesByteForByte(long chunkMib, String format) throws Exception {
    Map<String, Tensor> source = new LinkedHashMap<>(TestTensors.everyDtype(arena, 3));
    source.putAll(model(3, 3_000_000, 5)); // 6 MB tensors span chunks
    Path st = safetensors("every-dtype", source, 8 * MIB);
    Path path = st;
    if (format.equals("flash")) {
      path = dir.resolve("every-dtype-flash");
      if (!Files.exists(path)) {
        FlashConverter.builder().partitionSize(5 * MIB).build().convert(st, path);
      }
    }
    long before = ctx.memoryInfo().free();
    try (GpuLoader loader = loader(cuda, 64 * MIB, chunkMib * MIB)) {
      for (LoadSource expected : new LoadSource[] {LoadSource.DISK, LoadSource.RESIDENT}) {
        try (GpuModel model = loader.load(path, GPU0).get(60, TimeUnit.SECONDS)) {
          assertThat(model.report().source()).isEqualTo(expected);
          assertSameBytes(model, source);
        }
      }
      assertIdle(loader);
    }
    assertMemoryBack(before);
  }

  @Test
  void aModelLargerThanThePoolStreamsAndTheCacheEvictsByLeastRecentUse() throws Exception {
    Map<String, Tensor> big = model(4, 20_000_000, 7); // 160 MB through a 32 MiB pool
    Path bigPath = safetensors("big", big, 100 * MIB);
    long before = ctx.memoryInfo().free();
    try (GpuLoader loader = loader(cuda, 32 * MIB, 4 * MIB)) {
      try (GpuModel model = loader.load(bigPath, GPU0).get(60, TimeUnit.SECONDS)) {
        assertThat(model.report().source()).isEqualTo(LoadSource.STREAMED);
        assertSameBytes(model, big);
      }
      Path[] small = new Path[3];
      java.util.List<Map<String, Tensor>> contents = new java.util.ArrayList<>();
      for (int i = 0; i < 3; i++) {
        contents.add(model(2, 3_000_000, 10 + i)); // 12 MB: 3 chunks; the pool holds two
        small[i] = safetensors("small" + i, contents.get(i), 100 * MIB);
        loader.load(small[i], GPU0).get().close();
      }
      assertThat(loader.metrics().evictions()).isEqualTo(1);
      assertThat(loader.residentModels()).hasSize(2);
      try (GpuModel again = loader.load(small[0], GPU0).get()) {
        assertThat(again.report().source()).isEqualTo(LoadSource.DISK);
        assertSameBytes(again, contents.get(0));
      }
      try (GpuModel hit = loader.load(small[0], GPU0).get()) {
        assertThat(hit.report().source()).isEqualTo(LoadSource.RESIDENT);
        assertSameBytes(hit, contents.get(0));
      }
      assertIdle(loader);
    }
    assertMemoryBack(before);
  }

  @Test
  void tensorsSplitOverTwoDeviceIndicesOfOneGpu() throws Exception {
    Map<String, Tensor> source = model(6, 1_000_000, 21);
    Path path = safetensors("split", source, 5 * MIB);
    ForwardingBackend two = new ForwardingBackend(cuda, 2);
    DeviceMap split =
        DeviceMap.parse("{\"model.layers.0\": 0, \"model.layers.1\": 0, \"\": \"cuda:1\"}");
    long before = ctx.memoryInfo().free();
    try (GpuLoader loader = loader(two, 64 * MIB, 2 * MIB)) {
      for (LoadSource expected : new LoadSource[] {LoadSource.DISK, LoadSource.RESIDENT}) {
        try (GpuModel model = loader.load(path, split).get()) {
          assertThat(model.report().source()).isEqualTo(expected);
          assertThat(model.report().devices()).containsExactly(0, 1);
          assertThat(model.tensor("model.layers.0.mlp.weight").device()).isZero();
          assertThat(model.tensor("model.layers.5.mlp.weight").device()).isEqualTo(1);
          assertSameBytes(model, source);
        }
      }
      assertIdle(loader);
    }
    assertMemoryBack(before);
  }

  @Test
  void cancellingMidLoadReleasesEveryChunkAndDeviceByte() throws Exception {
    Path path = safetensors("cancel", model(8, 8_000_000, 31), 200 * MIB); // 128 MB, 64 chunks
    ForwardingBackend slow = new ForwardingBackend(cuda, 1);
    slow.copyDelayNanos = 20_000_000;
    long before = ctx.memoryInfo().free();
    try (GpuLoader loader = loader(slow, 256 * MIB, 2 * MIB)) {
      CompletableFuture<GpuModel> load = loader.load(path, GPU0);
      Thread.sleep(150);
      assertThat(load.cancel(true)).isTrue();
      assertThatThrownBy(load::get).isInstanceOf(CancellationException.class);
      assertIdle(loader);
      assertThat(loader.metrics().poolUsedBytes()).isZero();
      assertThat(loader.residentModels()).isEmpty();
      assertThat(loader.metrics().cancelledLoads()).isEqualTo(1);
    }
    assertMemoryBack(before);
  }

  @Test
  void askingForMoreThanTheCardHasIsAClearErrorAndLeaksNothing() throws Exception {
    long total = ctx.memoryInfo().total();
    Path huge = GpuLoaderTest.sparseSafetensors(dir.resolve("huge.safetensors"), 2 * total);
    long before = ctx.memoryInfo().free();
    try (GpuLoader loader =
        GpuLoader.create(
            GpuLoaderOptions.builder()
                .memPoolSize(16 * MIB)
                .chunkSize(4 * MIB)
                .gpuMemoryUtilization(1.0)
                .build(),
            cuda)) {
      assertThatThrownBy(() -> loader.load(huge, GPU0).get())
          .cause()
          .isInstanceOf(GpuLoadException.class)
          .hasMessageContaining("needs ")
          .hasMessageContaining("on GPU 0");
      assertIdle(loader);
    } finally {
      Files.delete(huge);
    }
    assertMemoryBack(before);
  }

  @Test
  void theDriversOwnOutOfMemoryErrorIsClearAndLeaksNothing() throws Exception {
    Map<String, Tensor> source = model(4, 16_000_000, 41); // 128 MB in two files
    Path path = safetensors("oom", source, 70 * MIB);
    ForwardingBackend lying = new ForwardingBackend(cuda, 1);
    lying.reportAllMemoryFree = true; // the loader's pre-check passes; cuMemAlloc must refuse
    MemoryInfo info = ctx.memoryInfo();
    try (DeviceBuffer hog = ctx.allocate(info.free() - 96 * MIB)) {
      long before = ctx.memoryInfo().free();
      try (GpuLoader loader = loader(lying, 64 * MIB, 4 * MIB)) {
        assertThatThrownBy(() -> loader.load(path, GPU0).get())
            .cause()
            .isInstanceOf(GpuLoadException.class)
            .hasMessageStartingWith("GPU 0 ran out of memory allocating")
            .hasMessageContaining("CUDA_ERROR_OUT_OF_MEMORY");
        assertIdle(loader);
      }
      assertMemoryBack(before);
      assertThat(hog.byteSize()).isPositive();
    }
  }

  @Test
  void aLoadNeedingMoreThanIsFreeFailsBeforeItStarts() throws Exception {
    Path path = safetensors("oom", model(4, 16_000_000, 41), 70 * MIB);
    MemoryInfo info = ctx.memoryInfo();
    try (DeviceBuffer hog = ctx.allocate(info.free() - 96 * MIB)) {
      long before = ctx.memoryInfo().free();
      try (GpuLoader loader = loader(cuda, 64 * MIB, 4 * MIB)) {
        assertThatThrownBy(() -> loader.load(path, GPU0).get())
            .cause()
            .isInstanceOf(GpuLoadException.class)
            .hasMessageContaining("which has")
            .hasMessageContaining("free of");
        assertIdle(loader);
      }
      assertMemoryBack(before);
      assertThat(hog.byteSize()).isPositive();
    }
  }
}
