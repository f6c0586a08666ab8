package io.flashtensors.llm.qwen3.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashtensors.llm.qwen3.cuda.GemvPlan.Product;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GemvPlanTest {

  static Qwen3Shape shape(int hidden, int inter, int heads, int layers) {
    return new Qwen3Shape(hidden, inter, heads, 8, 128, layers, 151936, 1e-6f, new float[64], 1f);
  }

  @Test
  void heuristicSplitsShortMatricesAndKeepsTallOnesOneWarpARow() {
    GemvPlan small = GemvPlan.heuristic(shape(1024, 3072, 16, 28));
    assertThat(small.split(Product.QKV)).isEqualTo(1); // 4096 rows
    assertThat(small.split(Product.O)).isEqualTo(4); // 1024 rows of 2048
    assertThat(small.split(Product.DOWN)).isEqualTo(4); // 1024 rows of 3072
    assertThat(small.split(Product.LM_HEAD)).isEqualTo(1);
    GemvPlan large = GemvPlan.heuristic(shape(4096, 12288, 32, 36));
    assertThat(large.splits().values()).containsOnly(1);
  }

  @Test
  void measuredPlansAreRememberedPerGpuAndShape(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("cache/gemv-plans.properties");
    Qwen3Shape s = shape(1024, 3072, 16, 28);
    String key = GemvPlan.cacheKey("NVIDIA H100 80GB HBM3", s);
    assertThat(GemvPlan.cached(file, key)).isNull();
    Map<Product, Integer> splits = new EnumMap<>(Product.class);
    int[] values = {1, 4, 2, 8, 2};
    for (Product p : Product.values()) {
      splits.put(p, values[p.ordinal()]);
    }
    GemvPlan.remember(file, key, new GemvPlan(splits, Map.of()));
    assertThat(GemvPlan.cached(file, key).splits()).isEqualTo(splits);
    assertThat(GemvPlan.cached(file, GemvPlan.cacheKey("NVIDIA A100", s))).isNull();
    assertThat(
            GemvPlan.cached(
                file, GemvPlan.cacheKey("NVIDIA H100 80GB HBM3", shape(4096, 12288, 32, 36))))
        .isNull();
    // A damaged entry is ignored (the plan is measured again), never trusted.
    Files.writeString(file, key.replace(":", "\\:") + "=QKV=3,O=1\n");
    assertThat(GemvPlan.cached(file, key)).isNull();
    try (var files = Files.list(file.getParent())) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactly("gemv-plans.properties");
    }
  }
}
