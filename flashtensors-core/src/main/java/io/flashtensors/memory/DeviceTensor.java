package io.flashtensors.memory;

import io.flashtensors.format.DType;
import java.util.Arrays;
import java.util.Objects;

/**
 * A named tensor in GPU memory: a view into a device allocation that a loaded model owns.
 *
 * @param name tensor name, as in the checkpoint
 * @param dtype element type
 * @param shape dimensions, outermost first
 * @param device GPU index
 * @param pointer device address of the allocation holding the tensor
 * @param offset byte offset of the tensor in that allocation (a multiple of 256)
 * @param byteSize the tensor's bytes
 */
public record DeviceTensor(
    String name, DType dtype, long[] shape, int device, long pointer, long offset, long byteSize) {

  public DeviceTensor {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dtype, "dtype");
    shape = shape.clone();
    long expected = dtype.byteSize(Tensor.numel(shape));
    if (byteSize != expected) {
      throw new IllegalArgumentException(
          "tensor '%s': %s%s needs %d bytes, not %d"
              .formatted(name, dtype, Arrays.toString(shape), expected, byteSize));
    }
  }

  /** Device address of the tensor's first byte. */
  public long address() {
    return pointer + offset;
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** Number of elements. */
  public long numel() {
    return Tensor.numel(shape);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DeviceTensor t
        && name.equals(t.name)
        && dtype == t.dtype
        && Arrays.equals(shape, t.shape)
        && device == t.device
        && pointer == t.pointer
        && offset == t.offset
        && byteSize == t.byteSize;
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, dtype, Arrays.hashCode(shape), device, pointer, offset);
  }

  @Override
  public String toString() {
    return "DeviceTensor[%s %s%s on GPU %d @0x%x, %d bytes]"
        .formatted(name, dtype, Arrays.toString(shape), device, address(), byteSize);
  }
}
