package io.flashtensors.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flashtensors.memory.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlashConverterTest {

  @TempDir Path dir;
  Arena arena;
  Path source;
  Path destination;
  Map<String, Tensor> tensors;

  @BeforeEach
  void writeSource() throws Exception {
    arena = Arena.ofConfined();
    Random random = new Random(11);
    tensors = new LinkedHashMap<>();
    for (int i = 0; i < 6; i++) {
      tensors.put(
          "layers." + i + ".w",
          TestTensors.random(arena, "w", DType.BF16, new long[] {100, 90 + i}, random));
    }
    Tensor embed = TestTensors.random(arena, "embed", DType.BF16, new long[] {50, 64}, random);
    tensors.put("embed", embed);
    // lm_head tied to embed: same bytes, another name (and another copy in the source file).
    Tensor copy = TestTensors.random(arena, "lm_head", DType.BF16, new long[] {50, 64}, random);
    copy.data().copyFrom(embed.data());
    tensors.put("lm_head", copy);
    source = dir.resolve("src");
    SafetensorsCheckpoint.writeSharded(source, tensors, 40_000, Map.of("format", "pt"));
    Files.writeString(source.resolve("config.json"), "{\"model_type\": \"qwen3\"}");
    Files.writeString(source.resolve("tokenizer.json"), "{}");
    Files.writeString(source.resolve("README.md"), "# notes");
    Files.write(source.resolve("pytorch_model.bin"), new byte[] {1, 2, 3});
    destination = dir.resolve("flash");
  }

  @AfterEach
  void free() {
    arena.close();
  }

  private List<String> leftovers() throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList();
    }
  }

  @Test
  void writesAlignedPartitionsWithChecksumsAndCopiesConfigFiles() throws Exception {
    FlashConverter.Result result =
        FlashConverter.builder().partitionSize(64 << 10).build().convert(source, destination);
    FlashManifest manifest = FlashManifest.read(destination);
    assertThat(result.skipped()).isFalse();
    assertThat(manifest).isEqualTo(result.manifest());
    assertThat(manifest.partitions()).hasSizeGreaterThan(1);
    for (FlashManifest.Partition p : manifest.partitions()) {
      assertThat(p.size() % 4096).isZero();
      assertThat(p.size()).isLessThanOrEqualTo(64 << 10);
      assertThat(Files.size(destination.resolve(p.path()))).isEqualTo(p.size());
    }
    for (FlashManifest.TensorRecord t : manifest.tensors()) {
      assertThat(t.offset() % 4096).isZero();
    }
    assertThat(manifest.files())
        .extracting(FlashManifest.FileRecord::path)
        .containsExactly("README.md", "config.json", "tokenizer.json");
    assertThat(destination.resolve("config.json")).hasContent("{\"model_type\": \"qwen3\"}");
    assertThat(destination.resolve("pytorch_model.bin")).doesNotExist();
    assertThat(manifest.sources())
        .extracting(FlashManifest.FileRecord::sha256)
        .allSatisfy(sha -> assertThat(sha).hasSize(64));
    assertThat(manifest.sources().getFirst().sha256())
        .isEqualTo(FlashConverter.sha256(source.resolve(manifest.sources().getFirst().path())));
    assertThat(manifest.metadata()).containsEntry("format", "pt");
    assertThat(leftovers()).isEmpty();
  }

  @Test
  void tiedTensorsAreStoredOnce() throws Exception {
    FlashManifest manifest = FlashConverter.create().convert(source, destination).manifest();
    FlashManifest.TensorRecord embed = record(manifest, "embed");
    FlashManifest.TensorRecord head = record(manifest, "lm_head");
    assertThat(head.partition()).isEqualTo(embed.partition());
    assertThat(head.offset()).isEqualTo(embed.offset());
    long distinct =
        manifest.tensors().stream()
            .filter(t -> !t.name().equals("lm_head"))
            .mapToLong(t -> (t.length() + 4095) / 4096 * 4096)
            .sum();
    assertThat(manifest.partitionBytes()).isEqualTo(distinct);
  }

  @Test
  void checksumsMatchThePartitionBytes() throws Exception {
    FlashManifest manifest =
        FlashConverter.builder()
            .checksumBlockSize(8192)
            .build()
            .convert(source, destination)
            .manifest();
    FlashManifest.Partition p = manifest.partitions().getFirst();
    byte[] bytes = Files.readAllBytes(destination.resolve(p.path()));
    int[] crcs = p.crc32c();
    for (int i = 0; i < crcs.length; i++) {
      java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
      crc.update(bytes, i * 8192, Math.min(8192, bytes.length - i * 8192));
      assertThat((int) crc.getValue()).as("block %d", i).isEqualTo(crcs[i]);
    }
  }

  @Test
  void convertingAnUnchangedSourceAgainIsANoOp() throws Exception {
    FlashConverter.create().convert(source, destination);
    Path partition = destination.resolve("partition-00000.bin");
    FileTime before = Files.getLastModifiedTime(partition);
    FlashConverter.Result again = FlashConverter.create().convert(source, destination);
    assertThat(again.skipped()).isTrue();
    assertThat(again.bytesWritten()).isZero();
    assertThat(Files.getLastModifiedTime(partition)).isEqualTo(before);
  }

  @Test
  void touchedButUnchangedSourceIsStillANoOp() throws Exception {
    FlashConverter.create().convert(source, destination);
    Path shard;
    try (Stream<Path> shards = Files.list(source)) {
      shard = shards.filter(p -> p.toString().endsWith(".safetensors")).findFirst().orElseThrow();
    }
    Files.setLastModifiedTime(
        shard, FileTime.fromMillis(Files.getLastModifiedTime(shard).toMillis() + 5000));
    assertThat(FlashConverter.create().convert(source, destination).skipped()).isTrue();
  }

  @Test
  void forceConvertsAgain() throws Exception {
    FlashConverter.create().convert(source, destination);
    FlashConverter.Result forced =
        FlashConverter.builder().force(true).build().convert(source, destination);
    assertThat(forced.skipped()).isFalse();
    assertThat(forced.bytesWritten()).isPositive();
    assertThat(leftovers()).isEmpty();
  }

  @Test
  void changedSourceIsConvertedAgain() throws Exception {
    FlashConverter.create().convert(source, destination);
    Map<String, Tensor> changed = new LinkedHashMap<>(tensors);
    changed.put(
        "extra", TestTensors.random(arena, "extra", DType.F32, new long[] {3}, new Random(1)));
    AtomicFiles.deleteRecursively(source);
    SafetensorsCheckpoint.writeSharded(source, changed, 40_000, Map.of());
    FlashConverter.Result again = FlashConverter.create().convert(source, destination);
    assertThat(again.skipped()).isFalse();
    assertThat(FlashManifest.read(destination).tensors())
        .extracting(FlashManifest.TensorRecord::name)
        .contains("extra");
  }

  @Test
  void otherPartitionSizeConvertsAgain() throws Exception {
    FlashConverter.create().convert(source, destination);
    assertThat(
            FlashConverter.builder()
                .partitionSize(1 << 20)
                .build()
                .convert(source, destination)
                .skipped())
        .isFalse();
  }

  @Test
  void refusesToReplaceAFolderThatIsNotAFlashLayout() throws Exception {
    Files.createDirectories(destination);
    Files.writeString(destination.resolve("precious.txt"), "keep me");
    assertThatThrownBy(() -> FlashConverter.create().convert(source, destination))
        .isInstanceOf(FormatException.class)
        .hasMessage(destination + ": exists and is not a flash layout; use --force to replace it");
    assertThat(destination.resolve("precious.txt")).hasContent("keep me");
    assertThat(leftovers()).isEmpty();
  }

  @Test
  void neverReplacesItsOwnSourceEvenWhenForced() throws Exception {
    assertThatThrownBy(() -> FlashConverter.builder().force(true).build().convert(source, source))
        .isInstanceOf(FormatException.class)
        .hasMessageContaining("is or contains the source");
    assertThatThrownBy(() -> FlashConverter.builder().force(true).build().convert(source, dir))
        .hasMessageContaining("is or contains the source");
    assertThat(SafetensorsCheckpoint.open(source).tensorCount()).isEqualTo(tensors.size());
  }

  @Test
  void fullDiskLeavesNothingBehindAndKeepsTheOldLayout() throws Exception {
    FlashConverter.create().convert(source, destination);
    FlashManifest old = FlashManifest.read(destination);
    FlashLayoutWriter.WriteCheck diskFullAfter40k =
        (file, position, bytes) -> {
          if (position + bytes > 40_000) {
            throw new java.nio.file.FileSystemException(
                file.toString(), null, "No space left on device");
          }
        };
    assertThatThrownBy(
            () ->
                FlashConverter.builder()
                    .force(true)
                    .writeCheck(diskFullAfter40k)
                    .build()
                    .convert(source, destination))
        .hasMessageContaining("No space left on device");
    assertThat(FlashManifest.read(destination)).isEqualTo(old);
    assertThat(leftovers()).isEmpty();
  }

  @Test
  void fullDiskOnAFirstConversionLeavesNoDestination() throws Exception {
    assertThatThrownBy(
            () ->
                FlashConverter.builder()
                    .writeCheck(
                        (file, position, bytes) -> {
                          throw new IOException("No space left on device");
                        })
                    .build()
                    .convert(source, destination))
        .hasMessage("No space left on device");
    assertThat(destination).doesNotExist();
    assertThat(leftovers()).isEmpty();
  }

  @Test
  void modelIdAndRevisionComeFromAHuggingFaceSnapshotPath() throws Exception {
    String commit = "0123456789abcdef0123456789abcdef01234567";
    Path snapshot = dir.resolve("hub/models--Qwen--Qwen3-0.6B/snapshots/" + commit);
    Files.createDirectories(snapshot.getParent());
    Files.move(source, snapshot);
    FlashManifest manifest = FlashConverter.create().convert(snapshot, destination).manifest();
    assertThat(manifest.modelId()).isEqualTo("Qwen/Qwen3-0.6B");
    assertThat(manifest.revision()).isEqualTo(commit);
  }

  private static FlashManifest.TensorRecord record(FlashManifest manifest, String name) {
    return manifest.tensors().stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
  }
}
