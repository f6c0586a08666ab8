package io.flashtensors.format;

import io.flashtensors.memory.Tensor;
import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor's name, dtype and shape, without its bytes.
 *
 * @param name tensor name
 * @param dtype element type
 * @param shape dimensions
 */
public record TensorSpec(String name, DType dtype, long[] shape) {

  public TensorSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dtype, "dtype");
    shape = shape.clone();
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** Bytes of the tensor (dtype × shape). */
  public long byteSize() {
    return dtype.byteSize(Tensor.numel(shape));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorSpec t
        && name.equals(t.name)
        && dtype == t.dtype
        && Arrays.equals(shape, t.shape);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, dtype, Arrays.hashCode(shape));
  }

  @Override
  public String toString() {
    return name + " " + dtype + Arrays.toString(shape);
  }
}
