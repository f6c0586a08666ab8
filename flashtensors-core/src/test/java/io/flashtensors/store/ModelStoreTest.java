package io.flashtensors.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelStoreTest {

  @TempDir Path temp;
  Path source;
  Path root;
  CopyingConverter converter = new CopyingConverter();

  @BeforeEach
  void setUp() throws IOException {
    source = temp.resolve("hf");
    Files.createDirectories(source);
    Files.write(source.resolve("model.safetensors"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
    Files.writeString(source.resolve("config.json"), "{}");
    root = temp.resolve("store");
  }

  private StoredModel register(ModelStore store, String id, RegisterOptions options) {
    return store.register(ModelId.parse(id), "local", source, converter, options, Progress.NONE);
  }

  @Test
  void registerShouldConvertIntoModelFolderAndIndexIt() throws IOException {
    ModelStore store = ModelStore.open(root);

    StoredModel m = register(store, "Qwen/Qwen3-0.6B", RegisterOptions.local());

    assertThat(m.id()).isEqualTo("Qwen/Qwen3-0.6B");
    assertThat(m.revision()).isEqualTo("local");
    assertThat(m.tensorBytes()).isEqualTo(8);
    assertThat(m.diskBytes()).isGreaterThan(8);
    assertThat(m.source()).isEqualTo(source.toString());
    Path folder = store.folder(m);
    assertThat(folder).isEqualTo(root.toRealPath().resolve("Qwen/Qwen3-0.6B/local"));
    assertThat(folder.resolve("manifest.json")).exists();
    assertThat(ModelStore.open(root).list()).containsExactly(m);
    assertThat(store.get(ModelId.parse("Qwen/Qwen3-0.6B"), null)).isEqualTo(m);
    assertThat(Files.readString(root.resolve("index.json"))).contains("\"Qwen/Qwen3-0.6B\"");
    try (Stream<Path> leftovers = Files.list(root.resolve(".tmp"))) {
      assertThat(leftovers).isEmpty();
    }
  }

  @Test
  void listShouldSeeWhatAnotherStoreInstanceChangedSinceItsLastRead() throws IOException {
    ModelStore reader = ModelStore.open(root);
    ModelStore writer = ModelStore.open(root);
    assertThat(reader.list()).isEmpty();

    StoredModel m = register(writer, "a/b", RegisterOptions.local());
    assertThat(reader.list()).containsExactly(m);

    writer.remove(m.modelId(), m.revision());
    assertThat(reader.list()).isEmpty();
  }

  @Test
  void registerWhenSameSourceAgainShouldDoNothingUnlessForced() throws IOException {
    ModelStore store = ModelStore.open(root);
    StoredModel first = register(store, "a/b", RegisterOptions.local());

    StoredModel again = register(store, "a/b", RegisterOptions.local());
    assertThat(again).isEqualTo(first);
    assertThat(converter.calls).isEqualTo(1);

    StoredModel forced = register(store, "a/b", RegisterOptions.local().withForce(true));
    assertThat(converter.calls).isEqualTo(2);
    assertThat(forced.registeredAt()).isAfterOrEqualTo(first.registeredAt());
    assertThat(store.list()).containsExactly(forced);
  }

  @Test
  void registerWhenSourceChangedShouldReplaceTheEntry() throws IOException {
    ModelStore store = ModelStore.open(root);
    register(store, "a/b", RegisterOptions.local());
    Files.write(source.resolve("model.safetensors"), new byte[16]);
    Files.setLastModifiedTime(
        source.resolve("model.safetensors"),
        FileTime.fromMillis(System.currentTimeMillis() + 5000));

    StoredModel replaced = register(store, "a/b", RegisterOptions.local());

    assertThat(converter.calls).isEqualTo(2);
    assertThat(replaced.tensorBytes()).isEqualTo(16);
    assertThat(store.list()).containsExactly(replaced);
    assertThat(Files.size(store.folder(replaced).resolve("model.safetensors"))).isEqualTo(16);
  }

  @Test
  void registerWhenConverterFailsShouldLeaveNoEntryAndNoFiles() throws IOException {
    ModelStore store = ModelStore.open(root);
    ModelConverter failing =
        (src, dst, id, rev, p) -> {
          Files.write(dst.resolve("partial.bin"), new byte[100]);
          throw new IOException("No space left on device");
        };

    assertThatThrownBy(
            () ->
                store.register(
                    ModelId.parse("a/b"),
                    "main",
                    source,
                    failing,
                    RegisterOptions.local(),
                    Progress.NONE))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("cannot convert " + source)
        .hasMessageContaining("the disk is full");

    assertThat(store.list()).isEmpty();
    assertThat(root.resolve("a")).doesNotExist();
    try (Stream<Path> leftovers = Files.list(root.resolve(".tmp"))) {
      assertThat(leftovers).isEmpty();
    }
  }

  @Test
  void openWhenAConversionCrashedShouldDeleteItsLeftoversButNotLiveOnes() throws Exception {
    ModelStore store = ModelStore.open(root);
    // A crashed process: its staging folder stays, and its lock died with it.
    Path crashed = root.resolve(".tmp/00000000-0000-0000-0000-000000000000");
    Files.createDirectories(crashed.resolve("model"));
    Files.write(crashed.resolve("model/tensor.data_0"), new byte[4096]);
    Path replaced = root.resolve(".tmp/11111111-1111-1111-1111-111111111111-replaced");
    Files.createDirectories(replaced);
    Path strayLock = root.resolve(".tmp/22222222-2222-2222-2222-222222222222.lock");
    Files.createFile(strayLock);
    Path indexTemp = root.resolve(".tmp/index.json.33333333-3333-3333-3333-333333333333");
    Files.writeString(indexTemp, "{");
    // A live conversion (lock held).
    try (ModelStore.Staging live = store.newStaging()) {
      ModelStore.open(root);

      assertThat(crashed).doesNotExist();
      assertThat(replaced).doesNotExist();
      assertThat(strayLock).doesNotExist();
      assertThat(indexTemp).doesNotExist();
      assertThat(live.folder()).exists();
      assertThat(live.folder().resolveSibling(live.folder().getFileName() + ".lock")).exists();
      assertThat(store.list()).isEmpty();
    }
  }

  @Test
  void registerWithKeepSourceShouldKeepTheSafetensorsBeside() throws IOException {
    ModelStore store = ModelStore.open(root);
    StoredModel m = register(store, "a/b", RegisterOptions.local().withKeepSource(true));

    assertThat(m.keptSource()).isTrue();
    assertThat(store.folder(m).resolve("safetensors/model.safetensors"))
        .hasBinaryContent(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
    assertThat(source.resolve("model.safetensors")).exists();
  }

  @Test
  void removeShouldDropEntryThenFolderAndEmptyParents() throws IOException {
    ModelStore store = ModelStore.open(root);
    StoredModel m = register(store, "a/b", RegisterOptions.local());
    store.register(
        ModelId.parse("a/b"), "v2", source, converter, RegisterOptions.local(), Progress.NONE);

    List<StoredModel> removed = store.remove(ModelId.parse("a/b"), "local");
    assertThat(removed).containsExactly(m);
    assertThat(store.list()).extracting(StoredModel::revision).containsExactly("v2");
    assertThat(root.resolve("a/b/local")).doesNotExist();

    store.remove(ModelId.parse("a/b"), null);
    assertThat(store.list()).isEmpty();
    assertThat(root.resolve("a")).doesNotExist();
  }

  @Test
  void getWhenMissingShouldSayHowToGetTheModel() {
    ModelStore store = ModelStore.open(root);
    assertThatThrownBy(() -> store.get(ModelId.parse("a/b"), null))
        .isInstanceOf(ModelNotFoundException.class)
        .hasMessageContaining("model a/b is not in the store")
        .hasMessageContaining("flashtensors pull a/b");
    register(store, "a/b", RegisterOptions.local());
    assertThatThrownBy(() -> store.get(ModelId.parse("a/b"), "main"))
        .hasMessageContaining("has no revision 'main'")
        .hasMessageContaining("it has local");
    assertThatThrownBy(() -> store.remove(ModelId.parse("x/y"), null))
        .isInstanceOf(ModelNotFoundException.class);
  }

  @Test
  void getWithoutRevisionShouldPickTheOneRegisteredLast() throws Exception {
    ModelStore store = ModelStore.open(root);
    store.register(
        ModelId.parse("a/b"), "v1", source, converter, RegisterOptions.local(), Progress.NONE);
    Thread.sleep(5);
    StoredModel v2 =
        store.register(
            ModelId.parse("a/b"), "v2", source, converter, RegisterOptions.local(), Progress.NONE);

    assertThat(store.get(ModelId.parse("a/b"), null)).isEqualTo(v2);
  }

  @Test
  void folderWhenAPartIsASymbolicLinkShouldRefuseIt() throws IOException {
    ModelStore store = ModelStore.open(root);
    StoredModel m = register(store, "a/b", RegisterOptions.local());
    Path outside = temp.resolve("outside");
    Files.createDirectories(outside);
    Path folder = store.folder(m);

    Files.createSymbolicLink(folder.resolve("evil.json"), outside);
    assertThatThrownBy(() -> store.folder(m))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("evil.json is a symbolic link");

    Files.delete(folder.resolve("evil.json"));
    Path moved = temp.resolve("moved");
    Files.move(folder, moved);
    Files.createSymbolicLink(folder, moved);
    assertThatThrownBy(() -> store.folder(m)).hasMessageContaining("is a symbolic link");
  }

  @Test
  void openWhenRootIsALinkShouldResolveItOnce() throws IOException {
    Path real = temp.resolve("real-store");
    Files.createDirectories(real);
    Path link = temp.resolve("link-store");
    Files.createSymbolicLink(link, real);

    ModelStore store = ModelStore.open(link);
    StoredModel m = register(store, "a/b", RegisterOptions.local());

    assertThat(store.folder(m)).startsWith(real.toRealPath());
  }

  @Test
  void readWhenIndexIsDamagedShouldSaySo() throws IOException {
    ModelStore store = ModelStore.open(root);
    Files.writeString(root.resolve("index.json"), "{not json");
    assertThatThrownBy(store::list)
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("index.json is damaged");
  }

  @Test
  void registerWhenSourceIsNotAFolderShouldSaySo() {
    ModelStore store = ModelStore.open(root);
    assertThatThrownBy(
            () ->
                store.register(
                    ModelId.parse("a/b"),
                    "main",
                    temp.resolve("nope"),
                    converter,
                    RegisterOptions.local(),
                    Progress.NONE))
        .hasMessageContaining("nope is not a folder");
  }

  @Test
  void registerFromManyThreadsAndProcessesShouldKeepEveryEntry() throws Exception {
    ModelStore.open(root);
    String java = ProcessHandle.current().info().command().orElse("java");
    List<Process> processes = new ArrayList<>();
    for (String prefix : List.of("p", "q")) {
      processes.add(
          new ProcessBuilder(
                  java,
                  "-cp",
                  System.getProperty("java.class.path"),
                  StoreWriterMain.class.getName(),
                  root.toString(),
                  source.toString(),
                  prefix,
                  "3")
              .redirectErrorStream(true)
              .start());
    }
    ExecutorService pool = Executors.newFixedThreadPool(3);
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < 3; t++) {
      int thread = t;
      futures.add(
          pool.submit(
              () -> {
                for (int i = 0; i < 4; i++) {
                  ModelStore.open(root)
                      .register(
                          ModelId.parse("thread/t" + thread + "m" + i),
                          "main",
                          source,
                          new CopyingConverter(),
                          RegisterOptions.local(),
                          Progress.NONE);
                }
              }));
    }
    for (Future<?> f : futures) {
      f.get(300, TimeUnit.SECONDS);
    }
    pool.shutdown();
    for (Process p : processes) {
      assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes())).isZero();
    }

    List<StoredModel> all = ModelStore.open(root).list();
    assertThat(all).hasSize(2 * 3 + 3 * 4);
    for (StoredModel m : all) {
      assertThat(ModelStore.open(root).folder(m).resolve("manifest.json")).exists();
    }
  }
}
