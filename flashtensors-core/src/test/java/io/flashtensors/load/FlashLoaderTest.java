package io.flashtensors.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flashtensors.format.DType;
import io.flashtensors.format.FlashLayout;
import io.flashtensors.format.TestTensors;
import io.flashtensors.memory.Tensor;
import io.flashtensors.testing.Await;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlashLoaderTest {

  @TempDir Path dir;
  Arena arena;
  Map<String, Tensor> tensors;
  Path layout;

  @BeforeEach
  void save() throws Exception {
    arena = Arena.ofShared();
    Random random = new Random(9);
    tensors = new LinkedHashMap<>();
    for (int i = 0; i < 12; i++) {
      tensors.put(
          "w" + i,
          TestTensors.random(arena, "w" + i, DType.BF16, new long[] {512, 700 + i}, random));
    }
    layout = dir.resolve("flash");
    TensorDict.save(tensors, layout);
  }

  @AfterEach
  void free() {
    arena.close();
  }

  @Test
  void tensorDictRoundTripGivesViewsIntoPageAlignedPartitions() throws Exception {
    try (LoadedModel model = TensorDict.load(layout, DeviceMap.cpu())) {
      for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
        Tensor t = model.tensor(e.getKey());
        assertThat(TestTensors.sameContent(t, e.getValue())).isTrue();
        assertThat(t.data().address() % 4096).isZero();
      }
      assertThat(model.hostBytes()).isEqualTo(Files.size(layout.resolve("partition-00000.bin")));
    }
  }

  @Test
  void closeFreesTheMemoryOfEveryTensor() throws Exception {
    LoadedModel model = FlashLoader.create().load(layout);
    Tensor w = model.tensor("w0");
    model.close();
    model.close();
    assertThatThrownBy(() -> w.data().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void progressReachesTheTotalAndMetricsNameEveryStage() throws Exception {
    List<long[]> progress = Collections.synchronizedList(new ArrayList<>());
    List<LoadMetrics> completed = new ArrayList<>();
    FlashLoader loader =
        FlashLoader.builder()
            .threads(4)
            .chunkSize(1 << 20)
            .verifyChecksums(true)
            .listener(
                new LoadListener() {
                  @Override
                  public void onProgress(long done, long total) {
                    progress.add(new long[] {done, total});
                  }

                  @Override
                  public void onComplete(LoadMetrics metrics) {
                    completed.add(metrics);
                  }
                })
            .build();
    try (LoadedModel model = loader.load(layout)) {
      long total = Files.size(layout.resolve("partition-00000.bin"));
      assertThat(progress).hasSizeGreaterThan(3);
      assertThat(progress.stream().mapToLong(p -> p[0]).max().orElseThrow()).isEqualTo(total);
      assertThat(progress).allSatisfy(p -> assertThat(p[1]).isEqualTo(total));
      assertThat(completed)
          .singleElement()
          .satisfies(
              m -> {
                assertThat(m.bytes()).isEqualTo(total);
                assertThat(m.stages())
                    .containsKeys("plan", "allocate", "read", "verify", "place", "finish");
                assertThat(m.stage("read").bytes()).isEqualTo(total);
                assertThat(m.stage("verify").bytes()).isEqualTo(total);
                assertThat(m.threads()).isEqualTo(4);
              });
      assertThat(model.metrics().stages()).containsKeys("read", "verify");
    }
  }

  @Test
  void cancellingALoadFreesWhatItTook() throws Exception {
    RecordingTarget target = new RecordingTarget();
    FlashLoader loader = FlashLoader.builder().threads(2).chunkSize(64 << 10).build();
    java.util.concurrent.CountDownLatch firstChunk = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch cancelled = new java.util.concurrent.CountDownLatch(1);
    target.onComplete =
        () -> {
          firstChunk.countDown();
          try {
            cancelled.await(Await.PATIENCE.toSeconds(), TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        };
    LoadHandle<LoadedModel> handle = loader.submit(layout, DeviceMap.cpu(), target);
    assertThat(firstChunk.await(Await.PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
    handle.cancel();
    cancelled.countDown();
    assertThatThrownBy(() -> handle.get(Await.PATIENCE.toSeconds(), TimeUnit.SECONDS))
        .isInstanceOf(CancellationException.class);
    assertThat(handle.isDone()).isTrue();
    assertThat(target.aborted).hasValue(1);
    assertThat(target.balanced()).isTrue();
    long chunks = (Files.size(layout.resolve("partition-00000.bin")) + (1 << 20) - 1) >> 20;
    assertThat(target.completed.get()).as("stopped early").isLessThan((int) chunks);
  }

  @Test
  void loadWhenTheTargetRethrowsItsFirstFailureShouldReportThatFailureOnce() {
    // A target with a sticky error (as a GPU context has): every call after the first failure,
    // abort included, throws the same instance again.
    IllegalStateException sticky = new IllegalStateException("device lost");
    RecordingTarget target = new RecordingTarget();
    target.onComplete =
        () -> {
          throw sticky;
        };
    target.abortFailure = sticky;
    List<Throwable> heard = Collections.synchronizedList(new ArrayList<>());
    FlashLoader loader =
        FlashLoader.builder()
            .threads(4)
            .chunkSize(64 << 10)
            .listener(
                new LoadListener() {
                  @Override
                  public void onFailure(Throwable failure) {
                    heard.add(failure);
                  }
                })
            .build();

    // Before the guard: IllegalArgumentException("Self-suppression not permitted") in its place.
    assertThatThrownBy(() -> loader.load(layout, DeviceMap.cpu(), target)).isSameAs(sticky);
    assertThat(sticky.getSuppressed()).isEmpty();
    assertThat(heard).containsExactly(sticky);
    assertThat(target.aborted).hasValue(1);
    assertThat(target.balanced()).isTrue();
  }

  @Test
  void aSubmittedLoadCompletesWithTheModel() throws Exception {
    LoadHandle<LoadedModel> handle =
        FlashLoader.create().submit(layout, DeviceMap.cpu(), new HostTarget());
    try (LoadedModel model = handle.get(Await.PATIENCE.toSeconds(), TimeUnit.SECONDS)) {
      assertThat(model.tensors()).hasSize(12);
    }
  }

  @Test
  void directIoWorksOnDiskFileSystemsAndFallsBackOnTmpfs() throws Exception {
    FlashLoader auto = FlashLoader.builder().directIo(DirectIo.AUTO).build();
    String type = Files.getFileStore(layout).type();
    // Just written: the page cache holds it, so AUTO copies it from there.
    try (LoadedModel model = auto.load(layout)) {
      assertThat(model.metrics().directIo()).as(type).isFalse();
    }
    try (LoadedModel model = FlashLoader.builder().directIo(DirectIo.ON).build().load(layout)) {
      if (type.equals("ext4") || type.equals("xfs")) {
        assertThat(model.metrics().directIo()).as(type).isTrue();
      }
    }
    Path shm = Path.of("/dev/shm");
    if (Files.isDirectory(shm) && Files.isWritable(shm)) {
      Path onTmpfs = Files.createTempDirectory(shm, "flashtensors-test");
      try {
        FlashLayout.save(tensors, onTmpfs.resolve("m"));
        try (LoadedModel model = auto.load(onTmpfs.resolve("m"))) {
          for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            assertThat(TestTensors.sameContent(model.tensor(e.getKey()), e.getValue())).isTrue();
          }
        }
      } finally {
        try (var walk = Files.walk(onTmpfs)) {
          walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
    try (LoadedModel model = FlashLoader.builder().directIo(DirectIo.OFF).build().load(layout)) {
      assertThat(model.metrics().directIo()).isFalse();
    }
  }

  @Test
  void safetensorsLoadInPlaceByDefaultAndStagedWhenAnAlignmentIsAsked() throws Exception {
    Path st = dir.resolve("st");
    io.flashtensors.format.Safetensors.write(st.resolve("model.safetensors"), tensors, Map.of());
    FlashLoader loader = FlashLoader.builder().threads(3).chunkSize(64 << 10).build();
    try (LoadedModel inPlace = loader.load(st)) {
      assertThat(inPlace.metrics().stage("place").bytes()).isPositive();
      assertThat(inPlace.hostBytes())
          .isLessThan(Files.size(st.resolve("model.safetensors")) + 8192);
      for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
        assertThat(TestTensors.sameContent(inPlace.tensor(e.getKey()), e.getValue())).isTrue();
      }
    }
    try (LoadedModel aligned = loader.load(st, DeviceMap.cpu(), new HostTarget(4096))) {
      for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
        Tensor t = aligned.tensor(e.getKey());
        assertThat(TestTensors.sameContent(t, e.getValue())).isTrue();
        assertThat(t.data().address() % 4096).isZero();
      }
    }
    assertThatThrownBy(() -> new HostTarget(48)).hasMessageContaining("alignment 48");
  }

  @Test
  void anEmptyTensorDictRoundTrips() throws Exception {
    Path empty = dir.resolve("empty");
    TensorDict.save(Map.of(), empty);
    try (LoadedModel model = TensorDict.load(empty, DeviceMap.cpu())) {
      assertThat(model.tensors()).isEmpty();
      assertThat(model.metrics().bytes()).isZero();
    }
  }

  @Test
  void missingTensorIsAClearError() throws Exception {
    try (LoadedModel model = FlashLoader.create().load(layout)) {
      assertThatThrownBy(() -> model.tensor("nope")).hasMessage("model flash has no tensor 'nope'");
    }
  }

  @Test
  void loaderSettingsAreChecked() {
    assertThatThrownBy(() -> FlashLoader.builder().threads(0)).hasMessageContaining("threads");
    assertThatThrownBy(() -> FlashLoader.builder().chunkSize(10))
        .hasMessageContaining("chunk size");
    assertThatThrownBy(() -> FlashLoader.builder().poolSize(-1)).hasMessageContaining("pool size");
  }
}
