package io.flashtensors.load.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flashtensors.format.DType;
import io.flashtensors.format.FlashConverter;
import io.flashtensors.format.SafetensorsCheckpoint;
import io.flashtensors.format.TestTensors;
import io.flashtensors.load.Device;
import io.flashtensors.load.DeviceMap;
import io.flashtensors.memory.DeviceTensor;
import io.flashtensors.memory.Tensor;
import io.flashtensors.testing.Await;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The GPU load path on simulated GPUs: every behaviour except the CUDA calls themselves. */
class GpuLoaderTest {

  private static final long KIB = 1024;
  private static final long MIB = 1024 * KIB;
  private static final DeviceMap GPU0 = DeviceMap.parse("{\"\": 0}");

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

  private GpuLoader loader(SimulatedGpuBackend backend, long pool, long chunk) {
    GpuLoader loader =
        GpuLoader.create(
            GpuLoaderOptions.builder()
                .memPoolSize(pool)
                .chunkSize(chunk)
                .threads(3)
                .ringChunks(3)
                .build(),
            backend);
    closeLater.add(loader);
    return loader;
  }

  private Path safetensors(String name, Map<String, Tensor> tensors, long shard)
      throws IOException {
    Path path = dir.resolve(name);
    SafetensorsCheckpoint.writeSharded(path, tensors, shard, Map.of("format", "pt"));
    return path;
  }

  private Path flash(String name, Path safetensors) throws IOException {
    Path path = dir.resolve(name);
    FlashConverter.builder()
        .partitionSize(256 * KIB)
        .checksumBlockSize(16 * 1024)
        .build()
        .convert(safetensors, path);
    return path;
  }

  /** A model of {@code count} random BF16 tensors of {@code elements} elements each. */
  private Map<String, Tensor> model(int count, long elements, long seed) {
    Random random = new Random(seed);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      String name = "model.layers." + i + ".weight";
      tensors.put(name, TestTensors.random(arena, name, DType.BF16, new long[] {elements}, random));
    }
    return tensors;
  }

  static byte[] deviceBytes(GpuModel model, DeviceTensor t) {
    MemorySegment copy = MemorySegment.ofArray(new byte[(int) t.byteSize()]);
    if (t.byteSize() == 0) {
      return new byte[0];
    }
    GpuBackend.Allocation a =
        model.allocations().stream()
            .filter(x -> x.address() == t.pointer())
            .findFirst()
            .orElseThrow(() -> new AssertionError("no allocation holds " + t));
    MemorySegment direct = Arena.global().allocate(t.byteSize());
    a.copyToHost(t.offset(), direct);
    MemorySegment.copy(direct, 0, copy, 0, t.byteSize());
    return (byte[]) copy.heapBase().orElseThrow();
  }

  static void assertSameBytes(GpuModel model, Map<String, Tensor> source) {
    assertThat(model.tensors().keySet()).containsExactlyInAnyOrderElementsOf(source.keySet());
    for (Tensor expected : source.values()) {
      DeviceTensor t = model.tensor(expected.name());
      assertThat(t.dtype()).isEqualTo(expected.dtype());
      assertThat(t.shape()).isEqualTo(expected.shape());
      assertThat(t.offset() % GpuLoader.ALIGNMENT).as("offset of %s", t.name()).isZero();
      assertThat(deviceBytes(model, t))
          .as("bytes of %s", t.name())
          .isEqualTo(expected.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
    }
  }

  private static void assertNothingHeld(GpuLoader loader, SimulatedGpuBackend backend)
      throws InterruptedException {
    assertThat(loader.awaitIdle(Await.PATIENCE)).isTrue();
    assertThat(backend.liveAllocations()).as("device allocations").isZero();
    assertThat(loader.metrics().deviceBytesHeld().values()).allMatch(v -> v == 0);
    assertThat(loader.metrics().poolUsedBytes() - loader.metrics().poolResidentBytes())
        .as("pool bytes held by loads")
        .isZero();
  }

  @ParameterizedTest(name = "chunk {0} KiB, {1}")
  @CsvSource({"16, safetensors", "16, flash", "64, safetensors", "1024, flash"})
  void everyDtypeArrivesByteForByte(long chunkKib, String format) throws Exception {
    Map<String, Tensor> source = TestTensors.everyDtype(arena, 7);
    Path st = safetensors("st", source, 200 * KIB);
    Path path = format.equals("flash") ? flash("flash", st) : st;
    SimulatedGpuBackend backend = new SimulatedGpuBackend(1, 64 * MIB);
    backend.copyDelayNanos = 20_000;
    GpuLoader loader = loader(backend, 16 * MIB, chunkKib * KIB);

    try (GpuModel model =
        loader.load(path, GPU0).get(Await.PATIENCE.toSeconds(), TimeUnit.SECONDS)) {
      assertSameBytes(model, source);
      assertThat(model.report().source()).isEqualTo(LoadSource.DISK);
      assertThat(model.report().devices()).containsExactly(0);
    }
    assertNothingHeld(loader, backend);
  }

  @Test
  void aSecondLoadIsAPureCopyFromThePinnedPool() throws Exception {
    Map<String, Tensor> source = model(6, 20_000, 1);
    Path path = safetensors("m", source, 100 * KIB);
    SimulatedGpuBackend backend = new SimulatedGpuBackend(1, 64 * MIB);
    GpuLoader loader = loader(backend, 4 * MIB, 32 * KIB);

    try (GpuModel first = loader.load(path, GPU0).get()) {
      assertThat(first.report().source()).isEqualTo(LoadSource.DISK);
      assertThat(first.report().readBytes()).isPositive();
    }
    assertThat(loader.residentModels())
        .singleElement()
        .satisfies(m -> assertThat(m.ready()).isTrue());
    Files.delete(path.resolve(path.toFile().list((d, n) -> n.endsWith(".safetensors"))[0]));
    // Resident copies are checked against their files' size and mtime: deleting one makes the
    // copy stale. Rewrite the same content instead to test the hit itself.
    safetensors("m", source, 100 * KIB);
    try (GpuModel again = loader.load(path, GPU0).get()) {
      assertThat(again.report().source()).isEqualTo(LoadSource.DISK);
    }
    try (GpuModel hit = loader.load(path, GPU0).get()) {
      assertThat(hit.report().source()).isEqualTo(LoadSource.RESIDENT);
      assertThat(hit.report().readBytes()).isZero();
      assertSameBytes(hit, source);
    }
    GpuLoadMetrics m = loader.metrics();
    assertThat(m.cacheHits()).isEqualTo(1);
    assertThat(m.cacheMisses()).isEqualTo(2);
    assertThat(m.loads()).isEqualTo(3);
    assertThat(m.residentModels()).isEqualTo(1);
    assertThat(m.evictions()).isEqualTo(1);
    assertNothingHeld(loader, backend);
  }

  @Test
  void aChangedFileIsReadAgainNotServedStale() throws Exception {
    Path path = safetensors("m", model(3, 10_000, 1), MIB);
    SimulatedGpuBackend backend = new SimulatedGpuBackend(1, 64 * MIB);
    GpuLoader loader = loader(backend, 4 * MIB, 32 * KIB);
    loader.load(path, GPU0).get().close();

    Map<String, Tensor> changed = model(3, 10_000, 2);
    safetensors("m", changed, MIB);
    Path file = path.resolve("model.safetensors");
    Files.setLastModifiedTime(
        file,
        java.nio.file.attribute.FileTime.fromMillis(
            Files.getLastModifiedTime(file).toMillis() + 5000));
    try (GpuModel model = loader.load(path, GPU0).get()) {
      assertThat(model.report().source()).isEqualTo(LoadSource.DISK);
      assertSameBytes(model, changed);
    }
  }

  @Test
  void aModelLargerThanThePoolStreamsThroughTheRing() throws Exception {
    Map<String, Tensor> source = model(10, 100_000, 3); // 2 MB, the pool holds 512 KiB
    Path path = safetensors("big", source, 700 * KIB);
    SimulatedGpuBackend backend = new SimulatedGpuBackend(1, 64 * MIB);
    backend.copyDelayNanos = 200_000; // copies lag the reads: a missing fence corrupts bytes
    GpuLoader loader = loader(backend, 512 * KIB, 64 * KIB);

    try (GpuModel model =
        loader.load(path, GPU0).get(Await.PATIENCE.toSeconds(), TimeUnit.SECONDS)) {
      assertThat(model.report().source()).isEqualTo(LoadSource.STREAMED);
      assertSameBytes(model, source);
    }
    assertThat(loader.residentModels()).isEmpty();
    assertThat(loader.metrics().poolUsedBytes()).isZero();
    assertNothingHeld(loader, backend);
  }

  @Test
  void bypassingTheCacheStreamsAndLeavesItAlone() throws Exception {
    Map<String, Tensor> source = model(4, 10_000, 5);
    Path path = safetensors("m", source, MIB);
    SimulatedGpuBackend backend = new SimulatedGpuBackend(1, 64 * MIB);
    GpuLoader loader = loader(backend, 4 * MIB, 32 * KIB);
    try (GpuModel model = loader.load(path, GPU0, CachePolicy.BYPASS).get()) {
      assertThat(model.report().source()).isEqualTo(LoadSource.STREAMED);
      assertSameBytes(model, source);
    }
    assertThat(loader.residentModels()).isEmpty();
    assertThat(loader.metrics().cacheMisses()).isZero();
  }

  @Test
  void leastRecentlyUsedModelsAreEvictedForRoom() throws Exception {
    SimulatedGpuBackend backend = new SimulatedGpuBackend(1, 64 * MIB);
    GpuLoader loader = loader(backend, MIB, 64 * KIB); // holds two of these models
    List<Path> paths = new ArrayList<>();
    List<ResidentModel> evicted = new ArrayList<>();
    loader.addListener(
        new GpuLoadListener() {
          @Override
          public void evicted(ResidentModel model) {
            synchronized (evicted) {
              evicted.add(model);
            }
          }
        });
    for (int i = 0; i < 3; i++) {
      paths.add(safetensors("m" + i, model(4, 60_000, i), MIB)); // 480 KB: 8 chunks
    }
    loader.load(paths.get(0), GPU0).get().close();
    loader.load(paths.get(1), GPU0).get().close();
    loader.load(paths.get(0), GPU0).get().close(); // m0 is now the most recently used
    loader.load(paths.get(2), GPU0).get().close(); // evicts m1

    assertThat(evicted).extracting(ResidentModel::key).containsExactly(key(paths.get(1)));
    assertThat(loader.residentModels())
        .extracting(ResidentModel::key)
        .containsExactly(key(paths.get(0)), key(paths.get(2)));
    assertThat(loader.metrics().evictedBytes()).isEqualTo(evicted.getFirst().bytes());

    assertThat(loader.evict(paths.get(0))).isTrue();
    assertThat(loader.evict(paths.get(0))).isFalse();
    assertThat(loader.clearCache()).isEqualTo(1);
    assertThat(loader.residentModels()).isEmpty();
    assertThat(loader.metrics().poolUsedBytes()).isZero();
  }

  private static String key(Path p) {
    return p.toAbsolutePath().normalize().toString();
  }

  @Test
  void cancellingALoadReleasesEverySlabAndDeviceByte() throws Exception {
    Path path = safetensors("m", model(8, 200_000, 4), 2 * MIB); // 3.2 MB, 50 chunks
    SimulatedGpuBackend backend = new SimulatedGpuBackend(1, 64 * MIB);
    Semaphore gate = new Semaphore(3); // three copies, then the load waits mid-way for the cancel
    backend.issueGate = gate;
    GpuLoader loader = loader(backend, 8 * MIB, 64 * KIB);

    CompletableFuture<GpuModel> load = loader.load(path, GPU0);
    Await.until("3 copies issued", () -> backend.copies() == 3);
    assertThat(load.cancel(true)).isTrue();
    gate.release(Integer.MAX_VALUE / 2);
    assertThatThrownBy(load::get).isInstanceOf(CancellationException.class);
    assertNothingHeld(loader, backend);
    assertThat(loader.residentModels()).isEmpty();
    assertThat(loader.metrics().poolUsedBytes()).isZero();
    assertThat(loader.metrics().cancelledLoads()).isEqualTo(1);
    assertThat(backend.copies()).isLessThan(50);
  }

  @Test
  void aFailedCopyFailsTheLoadAndReleasesEverything() throws Exception {
    Path path = safetensors("m", model(4, 100_000, 4), 2 * MIB);
    SimulatedGpuBackend backend = new SimulatedGpuBackend(1, 64 * MIB);
    backend.failCopyNumber = 5;
    GpuLoader loader = loader(backend, 8 * MIB, 64 * KIB);

    assertThatThrownBy(() -> loader.load(path, GPU0).get())
        .isInstanceOf(ExecutionException.class)
        .cause()
        .hasMessageContaining("CUDA_ERROR_ILLEGAL_ADDRESS");
    assertNothingHeld(loader, backend);
    assertThat(loader.metrics().poolUsedBytes()).isZero();
    assertThat(loader.metrics().failedLoads()).isEqualTo(1);
  }

  @Test
  void aLoadPastGpuMemoryUtilizationFailsBeforeItStartsWithTheNumbers() throws Exception {
    Path path = safetensors("m", model(4, 100_000, 4), 2 * MIB); // 800 KB
    SimulatedGpuBackend backend = new SimulatedGpuBackend(1, MIB);
    GpuLoader loader =
        GpuLoader.create(
            GpuLoaderOptions.builder()
                .memPoolSize(4 * MIB)
                .chunkSize(64 * KIB)
                .gpuMemoryUtilization(0.5)
                .build(),
            backend);
    closeLater.add(loader);

    assertThatThrownBy(() -> loader.load(path, GPU0).get())
        .cause()
        .isInstanceOf(GpuLoadException.class)
        .hasMessage(
            "loading "
                + path
                + " needs 782 KiB on GPU 0, but gpu-memory-utilization 0.50 allows the"
                + " loader 512 KiB of 1 MiB and it already holds 0 B");
    assertThat(backend.copies()).isZero();
    assertNothingHeld(loader, backend);
  }

  @Test
  void aLoadNeedingMoreThanTheGpuHasFreeFailsWithTheNumbers() throws Exception {
    Path path = safetensors("m", model(4, 100_000, 4), 2 * MIB);
    SimulatedGpuBackend backend = new SimulatedGpuBackend(1, 4 * MIB);
    backend.occupy(0, 3 * MIB + 512 * KIB);
    GpuLoader loader = loader(backend, 4 * MIB, 64 * KIB);

    assertThatThrownBy(() -> loader.load(path, GPU0).get())
        .cause()
        .isInstanceOf(GpuLoadException.class)
        .hasMessage("loading " + path + " needs 782 KiB on GPU 0, which has 512 KiB free of 4 MiB");
    assertNothingHeld(loader, backend);
  }

  /** A valid safetensors file of one BF16 tensor of {@code bytes}, sparse: nothing is written. */
  static Path sparseSafetensors(Path file, long bytes) throws IOException {
    byte[] header =
        ("{\"huge\":{\"dtype\":\"BF16\",\"shape\":[%d],\"data_offsets\":[0,%d]}}"
                .formatted(bytes / 2, bytes))
            .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    try (var f = new java.io.RandomAccessFile(file.toFile(), "rw")) {
      byte[] length = new byte[8];
      java.nio.ByteBuffer.wrap(length)
          .order(java.nio.ByteOrder.LITTLE_ENDIAN)
          .putLong(header.length);
      f.write(length);
      f.write(header);
      f.setLength(8 + header.length + bytes);
    }
    return file;
  }

  @Test
  void askingForMoreThanTheCardHasFailsBeforeReadingAByte() throws Exception {
    Path huge = sparseSafetensors(dir.resolve("huge.safetensors"), 4L << 30);
    SimulatedGpuBackend backend = new SimulatedGpuBackend(1, 64 * MIB);
    GpuLoader loader =
        GpuLoader.create(
            GpuLoaderOptions.builder()
                .memPoolSize(4 * MIB)
                .chunkSize(MIB)
                .gpuMemoryUtilization(1.0)
                .build(),
            backend);
    closeLater.add(loader);
    assertThatThrownBy(() -> loader.load(huge, GPU0).get())
        .cause()
        .isInstanceOf(GpuLoadException.class)
        .hasMessage(
            "loading "
                + huge
                + " needs 4 GiB on GPU 0, but gpu-memory-utilization 1.00 allows the"
                + " loader 64 MiB of 64 MiB and it already holds 0 B");
    assertThat(backend.copies()).isZero();
    assertNothingHeld(loader, backend);
  }

  @Test
  void anAllocationTheDriverRefusesIsAClearOutOfMemoryError() throws Exception {
    Map<String, Tensor> big = model(4, 100_000, 4);
    Path path = safetensors("m", big, 300 * KIB); // three files: three allocations
    SimulatedGpuBackend backend = new SimulatedGpuBackend(1, 4 * MIB);
    backend.occupy(0, 3 * MIB + 512 * KIB);
    backend.reportAllMemoryFree = true; // the pre-check passes; the allocation itself fails
    GpuLoader loader = loader(backend, 4 * MIB, 64 * KIB);

    assertThatThrownBy(() -> loader.load(path, GPU0).get())
        .cause()
        .isInstanceOf(GpuLoadException.class)
        .hasMessageStartingWith("GPU 0 ran out of memory allocating")
        .hasMessageContaining("CUDA_ERROR_OUT_OF_MEMORY");
    assertNothingHeld(loader, backend);
  }

  @Test
  void closingAModelGivesItsMemoryBack() throws Exception {
    Path path = safetensors("m", model(2, 1000, 4), MIB);
    SimulatedGpuBackend backend = new SimulatedGpuBackend(1, 4 * MIB);
    GpuLoader loader = loader(backend, 4 * MIB, 64 * KIB);
    GpuModel model = loader.load(path, GPU0).get();
    assertThat(loader.metrics().deviceBytesHeld().get(0)).isEqualTo(model.deviceBytes());
    assertThat(backend.liveAllocations()).isEqualTo(1);
    model.close();
    model.close();
    assertThat(model.isClosed()).isTrue();
    assertNothingHeld(loader, backend);
  }

  @Test
  void tensorsSplitOverSeveralGpusByPrefix() throws Exception {
    Map<String, Tensor> source = model(6, 30_000, 9);
    Path path = safetensors("m", source, 150 * KIB);
    SimulatedGpuBackend backend = new SimulatedGpuBackend(2, 64 * MIB);
    GpuLoader loader = loader(backend, 4 * MIB, 32 * KIB);
    DeviceMap split =
        DeviceMap.parse(
            "{\"model.layers.0\": 0, \"model.layers.1\": 0, \"model.layers.2\": 0, \"\": 1}");

    for (LoadSource expected : new LoadSource[] {LoadSource.DISK, LoadSource.RESIDENT}) {
      try (GpuModel model = loader.load(path, split).get()) {
        assertThat(model.report().source()).isEqualTo(expected);
        assertThat(model.report().devices()).containsExactly(0, 1);
        for (DeviceTensor t : model.tensors().values()) {
          int layer = Integer.parseInt(t.name().split("\\.")[2]);
          assertThat(t.device()).as(t.name()).isEqualTo(layer < 3 ? 0 : 1);
        }
        assertSameBytes(model, source);
      }
    }
    // The resident copy serves any device map.
    try (GpuModel model = loader.load(path, DeviceMap.parse("1")).get()) {
      assertThat(model.report().source()).isEqualTo(LoadSource.RESIDENT);
      assertThat(model.report().devices()).containsExactly(1);
      assertSameBytes(model, source);
    }
  }

  @Test
  void devicesTheLoaderCannotServeAreRefusedClearly() throws Exception {
    Path path = safetensors("m", model(1, 100, 4), MIB);
    SimulatedGpuBackend backend = new SimulatedGpuBackend(1, 4 * MIB);
    GpuLoader loader = loader(backend, 4 * MIB, 64 * KIB);
    assertThatThrownBy(() -> loader.load(path, DeviceMap.cpu()).get())
        .cause()
        .hasMessageContaining("puts tensors on cpu");
    assertThatThrownBy(() -> loader.load(path, DeviceMap.all(Device.cuda(2))).get())
        .cause()
        .hasMessage("device map names cuda:2 but 1 GPU(s) are visible");
    assertNothingHeld(loader, backend);
  }

  @Test
  void aTruncatedFileFailsNamingItAndLeaksNothing() throws Exception {
    Path path = safetensors("m", model(4, 100_000, 4), 2 * MIB);
    Path file = path.resolve("model.safetensors");
    try (var ch =
        java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
      ch.truncate(ch.size() - 1000);
    }
    SimulatedGpuBackend backend = new SimulatedGpuBackend(1, 64 * MIB);
    GpuLoader loader = loader(backend, 4 * MIB, 64 * KIB);
    assertThatThrownBy(() -> loader.load(path, GPU0).get())
        .cause()
        .hasMessageContaining("model.safetensors")
        .hasMessageContaining("truncated");
    assertNothingHeld(loader, backend);
  }

  @Test
  void listenersHearLoadsWithStageNumbers() throws Exception {
    Path path = safetensors("m", model(3, 50_000, 4), MIB);
    SimulatedGpuBackend backend = new SimulatedGpuBackend(1, 64 * MIB);
    GpuLoader loader = loader(backend, 4 * MIB, 64 * KIB);
    List<GpuLoadReport> reports = new ArrayList<>();
    loader.addListener(
        new GpuLoadListener() {
          @Override
          public void loadCompleted(GpuLoadReport report) {
            synchronized (reports) {
              reports.add(report);
            }
          }
        });
    loader.load(path, GPU0).get().close();
    loader.load(path, GPU0).get().close();
    assertThat(loader.awaitIdle(Await.PATIENCE)).isTrue();
    assertThat(reports)
        .extracting(GpuLoadReport::source)
        .containsExactly(LoadSource.DISK, LoadSource.RESIDENT);
    GpuLoadReport disk = reports.getFirst();
    assertThat(disk.readBytes()).isGreaterThanOrEqualTo(300_000);
    assertThat(disk.deviceBytes()).isEqualTo(300_000);
    assertThat(disk.seconds()).isPositive();
    assertThat(disk.copySeconds()).isPositive();
    assertThat(disk.loaderMetrics().stage("h2d").bytes()).isEqualTo(300_000);
    GpuLoadMetrics m = loader.metrics();
    assertThat(m.bytesCopied()).isEqualTo(600_000);
    assertThat(m.poolCapacityBytes()).isEqualTo(4 * MIB);
    assertThat(m.poolOccupancy()).isBetween(0.0, 1.0);
    assertThat(m.poolAllocationSeconds()).isPositive();
  }

  @Test
  void theHostToDeviceProbeCopiesTheWholePoolAndGivesItBack() throws Exception {
    SimulatedGpuBackend backend = new SimulatedGpuBackend(1, 64 * MIB);
    GpuLoader loader = loader(backend, 2 * MIB, 64 * KIB);
    for (GpuLoader.ProbeTarget target : GpuLoader.ProbeTarget.values()) {
      assertThat(loader.probeHostToDevice(0, 3, target)).isPositive();
    }
    assertThat(backend.copies()).isEqualTo(3 * 3 * 32);
    assertThat(loader.metrics().poolUsedBytes()).isZero();
    assertNothingHeld(loader, backend);
  }

  @Test
  void theTensorDictApiLoadsOntoAGpuMap() throws Exception {
    Map<String, Tensor> source = TestTensors.everyDtype(arena, 11);
    Path folder = dir.resolve("dict");
    io.flashtensors.load.TensorDict.save(source, folder);
    SimulatedGpuBackend backend = new SimulatedGpuBackend(1, 64 * MIB);
    GpuLoader loader = loader(backend, 8 * MIB, MIB);
    try (GpuModel model = io.flashtensors.load.TensorDict.load(folder, GPU0, loader)) {
      assertSameBytes(model, source);
    }
    try (GpuModel model = loader.loadDict(folder, DeviceMap.parse("cuda:0"))) {
      assertThat(model.report().source()).isEqualTo(LoadSource.RESIDENT);
      assertSameBytes(model, source);
    }
  }

  @Test
  void deviceMapsNameGpusByUuidToo() {
    if (io.flashtensors.cuda.Cuda.isAvailable()) {
      var gpu = io.flashtensors.cuda.Cuda.device(0);
      assertThat(Device.parse(gpu.uuid())).isEqualTo(Device.cuda(0));
    } else {
      assertThatThrownBy(() -> DeviceMap.parse("{\"\": \"GPU-5c3c\"}"))
          .isInstanceOf(io.flashtensors.cuda.CudaUnavailableException.class);
    }
  }
}
