package io.flashtensors.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flashtensors.format.DType;
import io.flashtensors.format.FlashLayout;
import io.flashtensors.format.FlashManifest;
import io.flashtensors.format.FormatException;
import io.flashtensors.format.TestTensors;
import io.flashtensors.memory.Tensor;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Flash layouts that lie or are damaged: one clear error, and the load frees what it took. */
class BadFlashLayoutTest {

  @TempDir Path dir;
  Path layout;
  Path manifest;
  Path partition;

  @BeforeEach
  void save() throws Exception {
    layout = dir.resolve("flash");
    try (Arena arena = Arena.ofConfined()) {
      Random random = new Random(5);
      Map<String, Tensor> tensors = new LinkedHashMap<>();
      for (int i = 0; i < 5; i++) {
        tensors.put(
            "w" + i, TestTensors.random(arena, "w" + i, DType.F32, new long[] {300, 300}, random));
      }
      FlashLayout.save(tensors, layout, "test/model", 1L << 30);
    }
    manifest = layout.resolve(FlashManifest.FILE_NAME);
    partition = layout.resolve("partition-00000.bin");
  }

  private void edit(String from, String to) throws Exception {
    String text = Files.readString(manifest);
    assertThat(text).contains(from);
    Files.writeString(manifest, text.replaceFirst(java.util.regex.Pattern.quote(from), to));
  }

  private void rejects(Path culprit, String problem) {
    RecordingTarget target = new RecordingTarget();
    assertThatThrownBy(
            () ->
                FlashLoader.builder()
                    .verifyChecksums(true)
                    .chunkSize(1 << 20)
                    .threads(3)
                    .build()
                    .load(layout, DeviceMap.cpu(), target))
        .isInstanceOf(FormatException.class)
        .hasMessageStartingWith(culprit + ": ")
        .hasMessageContaining(problem);
    assertThat(target.balanced()).isTrue();
  }

  @Test
  void checksumMismatchFailsTheLoadAndFreesItsMemory() throws Exception {
    try (RandomAccessFile f = new RandomAccessFile(partition.toFile(), "rw")) {
      f.seek(1_500_000);
      int b = f.read();
      f.seek(1_500_000);
      f.write(b ^ 0x40);
    }
    RecordingTarget target = new RecordingTarget();
    FlashLoader loader =
        FlashLoader.builder().verifyChecksums(true).chunkSize(1 << 20).threads(2).build();
    assertThatThrownBy(() -> loader.load(layout, DeviceMap.cpu(), target))
        .isInstanceOf(FormatException.class)
        .hasMessageStartingWith(
            partition + ": checksum mismatch in block 1 (bytes [1048576, 1802240))");
    assertThat(target.aborted).hasValue(1);
    assertThat(target.balanced()).isTrue();
    // Without verification the same bytes load (and differ from what was saved).
    try (LoadedModel model = FlashLoader.create().load(layout)) {
      assertThat(model.tensors()).hasSize(5);
    }
  }

  @Test
  void manifestThatPointsOutsideItsFolder() throws Exception {
    Files.copy(partition, dir.resolve("stolen.bin"));
    edit("\"path\" : \"partition-00000.bin\"", "\"path\" : \"../stolen.bin\"");
    rejects(manifest, "names file '../stolen.bin', which is outside its folder");
  }

  @Test
  void manifestThatPointsAtAnAbsolutePath() throws Exception {
    edit("\"path\" : \"partition-00000.bin\"", "\"path\" : \"/etc/passwd\"");
    rejects(manifest, "names file '/etc/passwd', which is outside its folder");
  }

  @Test
  void truncatedPartition() throws Exception {
    try (RandomAccessFile f = new RandomAccessFile(partition.toFile(), "rw")) {
      f.setLength(f.length() - 4096);
    }
    rejects(partition, "but the manifest says");
  }

  @Test
  void missingPartition() throws Exception {
    Files.delete(partition);
    rejects(manifest, "names partition 'partition-00000.bin', which does not exist");
  }

  @Test
  void manifestThatIsNotJson() throws Exception {
    Files.writeString(manifest, "{\"format\": ");
    rejects(manifest, "is not JSON");
  }

  @Test
  void newerFormatVersion() throws Exception {
    edit("\"version\" : 1", "\"version\" : 2");
    rejects(manifest, "format version 2 is not supported (this reader knows version 1)");
  }

  @Test
  void tensorOffsetOutsideItsPartition() throws Exception {
    edit("\"offset\" : 0,", "\"offset\" : 1073741824,");
    rejects(manifest, "run past the end of partition 'partition-00000.bin'");
  }

  @Test
  void tensorLengthThatDoesNotMatchDtypeTimesShape() throws Exception {
    edit("\"length\" : 360000", "\"length\" : 360004");
    rejects(manifest, "tensor 'w0': F32[300, 300] needs 360000 bytes but its length is 360004");
  }

  @Test
  void unalignedTensorOffset() throws Exception {
    edit("\"offset\" : 0,", "\"offset\" : 8,");
    rejects(manifest, "tensor 'w0' offset 8 is not a multiple of the alignment 4096");
  }

  @Test
  void unknownDtypeInTheManifest() throws Exception {
    edit("\"dtype\" : \"F32\"", "\"dtype\" : \"F31\"");
    rejects(manifest, "tensor 'w0': unknown dtype 'F31'");
  }

  @Test
  void duplicateTensorName() throws Exception {
    edit("\"name\" : \"w1\"", "\"name\" : \"w0\"");
    rejects(manifest, "lists tensor 'w0' twice");
  }

  @Test
  void tensorInAPartitionThatDoesNotExist() throws Exception {
    edit("\"partition\" : 0,", "\"partition\" : 3,");
    rejects(manifest, "tensor 'w0' is in partition 3 but there are 1 partitions");
  }

  @Test
  void checksumListThatDoesNotCoverThePartition() throws Exception {
    String text = Files.readString(manifest);
    Files.writeString(manifest, text.replaceFirst("\"crc32c\" : \\[ (\\d+),", "\"crc32c\" : ["));
    rejects(manifest, "checksums;");
  }

  @Test
  void folderWithoutManifestOrSafetensors() throws Exception {
    Files.delete(manifest);
    Files.delete(partition);
    rejects(layout, "holds no .safetensors file");
  }
}
