package io.flashtensors.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashtensors.format.FlashConverter;
import io.flashtensors.format.SafetensorsCheckpoint;
import io.flashtensors.format.TestTensors;
import io.flashtensors.memory.Tensor;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RoundTripTest {

  @TempDir Path dir;

  @Test
  void everyDtypeSurvivesSafetensorsToFlashToLoad() throws Exception {
    try (Arena arena = Arena.ofConfined()) {
      Map<String, Tensor> source = TestTensors.everyDtype(arena, 42);
      Path st = dir.resolve("st");
      SafetensorsCheckpoint.writeSharded(st, source, 100_000, Map.of("format", "pt"));
      Path flash = dir.resolve("flash");
      FlashConverter.builder().partitionSize(256 << 10).build().convert(st, flash);

      FlashLoader loader =
          FlashLoader.builder().threads(3).chunkSize(1 << 20).verifyChecksums(true).build();
      for (Path path : new Path[] {flash, st}) {
        try (LoadedModel model = loader.load(path)) {
          assertThat(model.tensors().keySet()).containsExactlyInAnyOrderElementsOf(source.keySet());
          for (Map.Entry<String, Tensor> e : source.entrySet()) {
            Tensor loaded = model.tensor(e.getKey());
            assertThat(TestTensors.sameContent(loaded, e.getValue()))
                .as("%s from %s", e.getKey(), path)
                .isTrue();
          }
        }
      }
    }
  }
}
