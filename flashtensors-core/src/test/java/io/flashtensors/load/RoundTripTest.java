package io.flashtensors.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashtensors.format.FlashConverter;
import io.flashtensors.format.SafetensorsCheckpoint;
import io.flashtensors.format.TestTensors;
import io.flashtensors.memory.Tensor;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Random tensors of every dtype → sharded safetensors → flash layout → load: the loaded bytes are
 * the saved bytes, from both formats, for a matrix of loader settings.
 */
class RoundTripTest {

  @TempDir static Path dir;
  static Arena arena;
  static Map<String, Tensor> source;
  static Path safetensors;
  static Path flash;

  @BeforeAll
  static void writeCheckpoints() throws Exception {
    arena = Arena.ofShared();
    source = TestTensors.everyDtype(arena, 42);
    safetensors = dir.resolve("st");
    SafetensorsCheckpoint.writeSharded(safetensors, source, 100_000, Map.of("format", "pt"));
    flash = dir.resolve("flash");
    FlashConverter.builder()
        .partitionSize(256 << 10)
        .checksumBlockSize(64 << 10)
        .build()
        .convert(safetensors, flash);
  }

  @AfterAll
  static void free() {
    arena.close();
  }

  @ParameterizedTest(name = "threads={0} chunk={1} io={2} verify={3}")
  @CsvSource({
    "1, 4096, AUTO, true",
    "1, 1048576, OFF, false",
    "3, 65536, AUTO, true",
    "3, 131072, OFF, true",
    "8, 4096, OFF, false",
    "8, 33554432, AUTO, true",
    "16, 8192, ON, true",
  })
  void loadedBytesAreTheSavedBytes(int threads, long chunk, DirectIo io, boolean verify)
      throws Exception {
    FlashLoader loader =
        FlashLoader.builder()
            .threads(threads)
            .chunkSize(chunk)
            .directIo(io)
            .verifyChecksums(verify)
            .build();
    for (Path path : new Path[] {flash, safetensors}) {
      try (LoadedModel model = loader.load(path)) {
        assertThat(model.tensors().keySet()).containsExactlyInAnyOrderElementsOf(source.keySet());
        for (Map.Entry<String, Tensor> e : source.entrySet()) {
          Tensor loaded = model.tensor(e.getKey());
          assertThat(TestTensors.sameContent(loaded, e.getValue()))
              .as("%s from %s", e.getKey(), path.getFileName())
              .isTrue();
          if (path == flash) {
            assertThat(loaded.data().address() % 4096).as(e.getKey()).isZero();
          }
        }
        assertThat(model.metrics().verified()).isEqualTo(verify && path == flash);
        assertThat(model.metrics().bytes()).isPositive();
      }
    }
  }
}
