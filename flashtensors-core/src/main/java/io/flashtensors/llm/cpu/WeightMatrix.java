package io.flashtensors.llm.cpu;

import io.flashtensors.format.DType;
import io.flashtensors.memory.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A row-major {@code [rows, cols]} matrix of BF16 or F32 values in a memory segment, read in place
 * by {@link VectorMath}. F16 checkpoints are widened to F32 once by {@link #of(Tensor, Arena)}.
 *
 * @param data the elements, row after row
 * @param bf16 true for BF16 elements, false for F32
 * @param rows number of rows (output features)
 * @param cols number of columns (input features)
 */
public record WeightMatrix(MemorySegment data, boolean bf16, int rows, int cols) {

  private static final ValueLayout.OfShort BF16 =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfFloat F32 =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  public WeightMatrix {
    long expected = (long) rows * cols * (bf16 ? 2 : 4);
    if (data.byteSize() != expected) {
      throw new IllegalArgumentException(
          "matrix [%d, %d] needs %d bytes, got %d"
              .formatted(rows, cols, expected, data.byteSize()));
    }
  }

  /**
   * A view of a 2-D tensor; F16 is converted to a float32 copy in {@code arena} (the only dtype
   * that is not read in place).
   */
  public static WeightMatrix of(Tensor t, Arena arena) {
    if (t.rank() != 2) {
      throw new IllegalArgumentException(t.name() + ": expected a matrix, got rank " + t.rank());
    }
    int rows = Math.toIntExact(t.dim(0));
    int cols = Math.toIntExact(t.dim(1));
    return switch (t.dtype()) {
      case BF16 -> new WeightMatrix(t.data(), true, rows, cols);
      case F32 -> new WeightMatrix(t.data(), false, rows, cols);
      case F16 -> new WeightMatrix(widenF16(t.data(), t.numel(), arena), false, rows, cols);
      default -> throw new IllegalArgumentException(t.name() + ": unsupported dtype " + t.dtype());
    };
  }

  /** A 1-D tensor (norm weights) as float32 values. */
  public static float[] vector(Tensor t) {
    if (t.rank() != 1) {
      throw new IllegalArgumentException(t.name() + ": expected a vector, got rank " + t.rank());
    }
    float[] out = new float[Math.toIntExact(t.numel())];
    MemorySegment d = t.data();
    for (int i = 0; i < out.length; i++) {
      out[i] = element(d, t.dtype(), i);
    }
    return out;
  }

  /** Copies row {@code row} as float32 into {@code out[offset..offset+cols)}. */
  public void row(int row, float[] out, int offset) {
    long base = (long) row * cols;
    if (bf16) {
      for (int i = 0; i < cols; i++) {
        out[offset + i] = bf16ToFloat(data.getAtIndex(BF16, base + i));
      }
    } else {
      MemorySegment.copy(data, F32, base * 4, out, offset, cols);
    }
  }

  /** Bytes a pass over every element reads. */
  public long byteSize() {
    return data.byteSize();
  }

  static float bf16ToFloat(short bits) {
    return Float.intBitsToFloat(bits << 16);
  }

  private static float element(MemorySegment d, DType dtype, long i) {
    return switch (dtype) {
      case BF16 -> bf16ToFloat(d.getAtIndex(BF16, i));
      case F16 -> Float.float16ToFloat(d.getAtIndex(BF16, i));
      case F32 -> d.getAtIndex(F32, i);
      default -> throw new IllegalArgumentException("unsupported dtype " + dtype);
    };
  }

  private static MemorySegment widenF16(MemorySegment src, long numel, Arena arena) {
    MemorySegment out = arena.allocate(numel * 4, 64);
    for (long i = 0; i < numel; i++) {
      out.setAtIndex(F32, i, Float.float16ToFloat(src.getAtIndex(BF16, i)));
    }
    return out;
  }
}
