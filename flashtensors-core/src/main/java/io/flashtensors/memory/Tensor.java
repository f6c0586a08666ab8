package io.flashtensors.memory;

import io.flashtensors.format.DType;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;

/**
 * A named tensor whose bytes live in host memory: a view, not a copy, into memory owned elsewhere
 * (a loaded model, a mapped file, an arena).
 *
 * @param name tensor name, as in the checkpoint
 * @param dtype element type
 * @param shape dimensions, outermost first (row-major, as PyTorch writes them)
 * @param data exactly the tensor's bytes
 */
public record Tensor(String name, DType dtype, long[] shape, MemorySegment data) {

  public Tensor {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dtype, "dtype");
    Objects.requireNonNull(data, "data");
    shape = shape.clone();
    long expected = dtype.byteSize(numel(shape));
    if (data.byteSize() != expected) {
      throw new IllegalArgumentException(
          "tensor '%s': %s%s needs %d bytes but %d were given"
              .formatted(name, dtype, Arrays.toString(shape), expected, data.byteSize()));
    }
  }

  /** Number of elements: the product of the dimensions (1 for a scalar). */
  public long numel() {
    return numel(shape);
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** Size of dimension {@code i}. */
  public long dim(int i) {
    return shape[i];
  }

  /** Number of dimensions. */
  public int rank() {
    return shape.length;
  }

  public static long numel(long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
      }
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Tensor t
        && name.equals(t.name)
        && dtype == t.dtype
        && Arrays.equals(shape, t.shape)
        && data.equals(t.data);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, dtype, Arrays.hashCode(shape), data);
  }

  @Override
  public String toString() {
    return "Tensor[%s %s%s, %d bytes]"
        .formatted(name, dtype, Arrays.toString(shape), data.byteSize());
  }
}
