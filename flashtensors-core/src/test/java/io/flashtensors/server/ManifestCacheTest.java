package io.flashtensors.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flashtensors.format.DType;
import io.flashtensors.format.FlashManifest;
import io.flashtensors.format.FormatException;
import io.flashtensors.load.TensorDict;
import io.flashtensors.memory.Tensor;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestCacheTest {

  @TempDir Path dir;

  @Test
  void readTwiceShouldReturnTheSameParsedManifest() throws Exception {
    Path folder = save(dir.resolve("m"), "a");
    ManifestCache cache = new ManifestCache();
    FlashManifest first = cache.read(folder);
    assertThat(cache.read(folder)).isSameAs(first);
  }

  @Test
  void readAfterTheFolderWasReplacedShouldSeeTheNewManifest() throws Exception {
    Path folder = save(dir.resolve("m"), "a");
    ManifestCache cache = new ManifestCache();
    assertThat(cache.read(folder).tensors())
        .extracting(FlashManifest.TensorRecord::name)
        .containsExactly("a");
    Path replacement = save(dir.resolve("n"), "b");
    Files.move(
        replacement.resolve(FlashManifest.FILE_NAME),
        folder.resolve(FlashManifest.FILE_NAME),
        StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
    assertThat(cache.read(folder).tensors())
        .extracting(FlashManifest.TensorRecord::name)
        .containsExactly("b");
  }

  @Test
  void readOfAMissingManifestShouldFailAsTheFormatDoes() throws Exception {
    Path folder = save(dir.resolve("m"), "a");
    ManifestCache cache = new ManifestCache();
    cache.read(folder);
    Files.delete(folder.resolve(FlashManifest.FILE_NAME));
    assertThatThrownBy(() -> cache.read(folder))
        .isInstanceOf(FormatException.class)
        .hasMessageContaining(FlashManifest.FILE_NAME);
  }

  private static Path save(Path folder, String name) throws Exception {
    try (Arena arena = Arena.ofConfined()) {
      var data = arena.allocate(8);
      TensorDict.save(Map.of(name, new Tensor(name, DType.F32, new long[] {2}, data)), folder);
    }
    return folder;
  }
}
