package io.flashtensors.bench;

import io.flashtensors.format.DType;
import io.flashtensors.format.FormatException;
import io.flashtensors.format.Progress;
import io.flashtensors.format.SafetensorsCheckpoint;
import io.flashtensors.format.TensorSpec;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes Hugging Face-style checkpoints with random weights: Qwen3 tensor names and shapes, shards
 * of a given size with {@code model.safetensors.index.json}, and a {@code config.json}. Norm
 * weights are 1.0 as at initialisation; matrices are small random values (normal-like, scale 0.02),
 * different in every tensor.
 */
public final class CheckpointGenerator {

  private static final int POOL_VALUES = 1 << 20;

  private final ModelShape shape;
  private final DType dtype;
  private final long shardSize;
  private final long seed;

  /**
   * @param shape tensor names and shapes
   * @param dtype BF16, F16 or F32
   * @param shardSize largest shard in bytes (Hugging Face uses 4 GiB-ish shards, "5GB")
   * @param seed random seed; the same seed gives the same bytes
   */
  public CheckpointGenerator(ModelShape shape, DType dtype, long shardSize, long seed) {
    if (dtype != DType.BF16 && dtype != DType.F16 && dtype != DType.F32) {
      throw new IllegalArgumentException("generated weights are BF16, F16 or F32, not " + dtype);
    }
    this.shape = shape;
    this.dtype = dtype;
    this.shardSize = shardSize;
    this.seed = seed;
  }

  /** Writes the checkpoint into {@code folder}, which must not exist or be empty. */
  public void write(Path folder, Progress progress) throws IOException {
    if (Files.exists(folder)) {
      try (var entries = Files.list(folder)) {
        if (entries.findAny().isPresent()) {
          throw new FormatException(folder, "exists and is not empty");
        }
      }
    }
    List<TensorSpec> tensors = shape.tensors(dtype);
    long total = tensors.stream().mapToLong(TensorSpec::byteSize).sum();
    MemorySegment pool = valuePool();
    AtomicLong done = new AtomicLong();
    SafetensorsCheckpoint.writeSharded(
        folder,
        tensors,
        shardSize,
        Map.of("format", "pt"),
        (tensor, offset, piece) -> {
          fill(tensor, offset, piece, pool);
          progress.update(done.addAndGet(piece.byteSize()), total);
        });
    Files.writeString(folder.resolve("config.json"), shape.configJson(dtype));
    Files.writeString(
        folder.resolve("generation_config.json"),
        """
        {"bos_token_id": 151643, "eos_token_id": [151645, 151643], "do_sample": true,
         "temperature": 0.6, "top_p": 0.95, "top_k": 20}
        """);
  }

  /** A megabyte-scale pool of valid small values in the dtype, copied from at random offsets. */
  private MemorySegment valuePool() {
    int width = dtype.bits() / 8;
    MemorySegment pool = MemorySegment.ofArray(new byte[POOL_VALUES * 2 * width]);
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 0; i < POOL_VALUES * 2; i++) {
      // Sum of uniforms: bell-shaped, mean 0, standard deviation about 0.02.
      float v =
          (float) ((random.nextDouble() + random.nextDouble() + random.nextDouble() - 1.5) * 0.04);
      store(pool, i, v);
    }
    return pool;
  }

  private void store(MemorySegment segment, long index, float value) {
    switch (dtype) {
      case F32 -> segment.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, index, value);
      case F16 ->
          segment.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, index, Float.floatToFloat16(value));
      default ->
          segment.setAtIndex(
              ValueLayout.JAVA_SHORT_UNALIGNED,
              index,
              (short) (Float.floatToRawIntBits(value) >>> 16));
    }
  }

  private void fill(TensorSpec tensor, long offset, MemorySegment piece, MemorySegment pool) {
    int width = dtype.bits() / 8;
    if (tensor.shape().length == 1) {
      for (long i = 0; i < piece.byteSize() / width; i++) {
        store(piece, i, 1.0f);
      }
      return;
    }
    SplittableRandom random = new SplittableRandom(seed ^ tensor.name().hashCode() ^ offset);
    long half = (long) POOL_VALUES * width;
    for (long at = 0; at < piece.byteSize(); ) {
      long n = Math.min(half, piece.byteSize() - at);
      long from = random.nextLong(half) / width * width;
      MemorySegment.copy(pool, from, piece, at, n);
      at += n;
    }
  }
}
