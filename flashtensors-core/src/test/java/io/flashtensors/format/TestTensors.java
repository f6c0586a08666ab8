package io.flashtensors.format;

import io.flashtensors.memory.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** Random tensors for tests. */
public final class TestTensors {

  private TestTensors() {}

  /** One tensor of every dtype, with random bytes and shapes whose sizes are not round numbers. */
  public static Map<String, Tensor> everyDtype(Arena arena, long seed) {
    Random random = new Random(seed);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (DType dtype : DType.values()) {
      // 24 elements of F6 or F4 are whole bytes; other dtypes get odd sizes.
      long[] shape = dtype.bits() < 8 ? new long[] {4, 6} : new long[] {3, 1 + random.nextInt(700)};
      tensors.put(
          "layer." + dtype.name().toLowerCase(java.util.Locale.ROOT),
          random(arena, "", dtype, shape, random));
    }
    tensors.put("scalar", random(arena, "", DType.F32, new long[] {}, random));
    tensors.put("empty", random(arena, "", DType.BF16, new long[] {0, 5}, random));
    tensors.put("big", random(arena, "", DType.BF16, new long[] {300, 1000}, random));
    return rename(tensors);
  }

  /** A tensor of random bytes. */
  public static Tensor random(Arena arena, String name, DType dtype, long[] shape, Random random) {
    long bytes = dtype.byteSize(Tensor.numel(shape));
    MemorySegment data = arena.allocate(Math.max(1, bytes), 64).asSlice(0, bytes);
    byte[] content = new byte[(int) bytes];
    random.nextBytes(content);
    MemorySegment.copy(MemorySegment.ofArray(content), 0, data, 0, bytes);
    return new Tensor(name, dtype, shape, data);
  }

  private static Map<String, Tensor> rename(Map<String, Tensor> tensors) {
    Map<String, Tensor> named = new LinkedHashMap<>();
    tensors.forEach((k, t) -> named.put(k, new Tensor(k, t.dtype(), t.shape(), t.data())));
    return named;
  }

  /** True when two tensors have the same dtype, shape and bytes. */
  public static boolean sameContent(Tensor a, Tensor b) {
    return a.dtype() == b.dtype()
        && java.util.Arrays.equals(a.shape(), b.shape())
        && a.data().byteSize() == b.data().byteSize()
        && a.data().mismatch(b.data()) == -1;
  }
}
