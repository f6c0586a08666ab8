package io.flashtensors.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flashtensors.memory.Tensor;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sharded checkpoints whose index and shards disagree. */
class BadShardedCheckpointTest {

  @TempDir Path dir;
  Path folder;
  Path index;

  @BeforeEach
  void writeCheckpoint() throws Exception {
    folder = dir.resolve("src");
    try (Arena arena = Arena.ofConfined()) {
      Random random = new Random(3);
      Map<String, Tensor> tensors = new LinkedHashMap<>();
      for (int i = 0; i < 4; i++) {
        tensors.put(
            "w" + i, TestTensors.random(arena, "w" + i, DType.F32, new long[] {64, 64}, random));
      }
      SafetensorsCheckpoint.writeSharded(folder, tensors, 40_000, Map.of());
    }
    index = folder.resolve(SafetensorsCheckpoint.INDEX_FILE);
    assertThat(SafetensorsCheckpoint.open(folder).files()).hasSize(2);
  }

  private void rejects(Path culprit, String problem) {
    assertThatThrownBy(() -> SafetensorsCheckpoint.open(folder))
        .isInstanceOf(FormatException.class)
        .hasMessageStartingWith(culprit + ": ")
        .hasMessageContaining(problem);
    Path destination = dir.resolve("flash");
    assertThatThrownBy(() -> FlashConverter.create().convert(folder, destination))
        .isInstanceOf(FormatException.class)
        .hasMessageContaining(problem);
    assertThat(destination).doesNotExist();
    assertThat(dir.toFile().list()).containsExactly("src");
  }

  private void editIndex(String from, String to) throws Exception {
    Files.writeString(index, Files.readString(index).replace(from, to));
  }

  @Test
  void missingShardNamedByTheIndex() throws Exception {
    Files.delete(folder.resolve("model-00002-of-00002.safetensors"));
    rejects(index, "names shard 'model-00002-of-00002.safetensors', which does not exist");
  }

  @Test
  void indexThatPointsOutsideItsFolder() throws Exception {
    Files.copy(
        folder.resolve("model-00001-of-00002.safetensors"), dir.resolve("outside.safetensors"));
    editIndex("\"model-00001-of-00002.safetensors\"", "\"../outside.safetensors\"");
    assertThatThrownBy(() -> SafetensorsCheckpoint.open(folder))
        .isInstanceOf(FormatException.class)
        .hasMessageContaining("names file '../outside.safetensors', which is outside its folder");
  }

  @Test
  void indexThatMapsATensorToTheWrongShard() throws Exception {
    editIndex(
        "\"w1\" : \"model-00001-of-00002.safetensors\"",
        "\"w1\" : \"model-00002-of-00002.safetensors\"");
    rejects(index, "maps tensor 'w1' to model-00002-of-00002.safetensors, which does not hold it");
  }

  @Test
  void shardHoldingATensorTheIndexDoesNotList() throws Exception {
    String text = Files.readString(index);
    Files.writeString(index, text.replaceAll(",\\s*\"w3\"\\s*:\\s*\"[^\"]+\"", ""));
    rejects(
        folder.resolve("model-00002-of-00002.safetensors"),
        "holds tensor 'w3', which model.safetensors.index.json does not list");
  }

  @Test
  void indexThatIsNotJson() throws Exception {
    Files.writeString(index, "{ not json");
    rejects(index, "is not JSON");
  }

  @Test
  void indexWithoutWeightMap() throws Exception {
    Files.writeString(index, "{\"metadata\": {}}");
    rejects(index, "has no \"weight_map\" object");
  }

  @Test
  void truncatedShard() throws Exception {
    Path shard = folder.resolve("model-00002-of-00002.safetensors");
    byte[] bytes = Files.readAllBytes(shard);
    Files.write(shard, java.util.Arrays.copyOf(bytes, bytes.length - 100));
    rejects(shard, "run past the end of the data");
  }

  @Test
  void sameTensorInTwoShardsWithoutAnIndex() throws Exception {
    Files.delete(index);
    Files.copy(
        folder.resolve("model-00001-of-00002.safetensors"), folder.resolve("zz-copy.safetensors"));
    rejects(
        folder.resolve("zz-copy.safetensors"),
        "holds tensor 'w0', which model-00001-of-00002.safetensors holds too");
  }

  @Test
  void folderWithoutSafetensors() throws Exception {
    Path empty = Files.createDirectories(dir.resolve("empty"));
    assertThatThrownBy(() -> SafetensorsCheckpoint.open(empty))
        .isInstanceOf(FormatException.class)
        .hasMessage(empty + ": holds no .safetensors file");
  }

  @Test
  void pathThatDoesNotExist() {
    Path missing = dir.resolve("nope");
    assertThatThrownBy(() -> FlashConverter.create().convert(missing, dir.resolve("flash")))
        .isInstanceOf(FormatException.class)
        .hasMessage(missing + ": no such file or folder");
    assertThat(dir.resolve("flash")).doesNotExist();
  }
}
