package io.flashtensors.format;

/**
 * Element types of the safetensors specification, with their size in bits.
 *
 * <p>The list and the bit sizes follow {@code Dtype} in huggingface/safetensors ({@code
 * safetensors/src/tensor.rs}, checked at commit 24b0b28, May 2026), in the same order.
 *
 * <p>Sub-byte types (F4, F6_*) are packed: a tensor of them occupies {@code ceil(numel * bits / 8)}
 * bytes.
 */
public enum DType {
  BOOL(8),
  F4(4),
  F6_E2M3(6),
  F6_E3M2(6),
  U8(8),
  I8(8),
  F8_E5M2(8),
  F8_E4M3(8),
  F8_E8M0(8),
  F8_E4M3FNUZ(8),
  F8_E5M2FNUZ(8),
  I16(16),
  U16(16),
  F16(16),
  BF16(16),
  I32(32),
  U32(32),
  F32(32),
  C64(64),
  F64(64),
  I64(64),
  U64(64);

  private final int bits;

  DType(int bits) {
    this.bits = bits;
  }

  /** Size of one element in bits. */
  public int bits() {
    return bits;
  }

  /** Bytes a tensor of {@code numel} elements takes, rounded up for packed sub-byte types. */
  public long byteSize(long numel) {
    long totalBits = Math.multiplyExact(numel, (long) bits);
    return (totalBits + 7) / 8;
  }

  /**
   * The dtype for a safetensors name such as {@code "BF16"}, or an error naming the value. Names
   * are case-sensitive, as in the specification.
   */
  public static DType fromSafetensorsName(String name) {
    for (DType type : VALUES) {
      if (type.name().equals(name)) {
        return type;
      }
    }
    throw new IllegalArgumentException("unknown dtype '" + name + "'");
  }

  /** The name safetensors headers use for this dtype (the constant's name). */
  public String safetensorsName() {
    return name();
  }

  private static final DType[] VALUES = values();
}
