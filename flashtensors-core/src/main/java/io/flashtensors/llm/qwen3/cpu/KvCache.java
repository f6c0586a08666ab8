package io.flashtensors.llm.qwen3.cpu;

import java.util.Arrays;

/**
 * Keys and values of every layer for the positions of one sequence, float32 on the heap: {@code
 * keys[layer][position * kvDim + kvHead * headDim + i]}. It grows by doubling up to its context
 * length, so a short chat does not pay for the whole context up front.
 */
final class KvCache {

  private static final int INITIAL_POSITIONS = 256;

  private final int kvDim;
  private final int contextLength;
  private final float[][] keys;
  private final float[][] values;
  private int capacity;

  KvCache(int layers, int kvDim, int contextLength) {
    this.kvDim = kvDim;
    this.contextLength = contextLength;
    this.keys = new float[layers][];
    this.values = new float[layers][];
    this.capacity = 0;
    ensureCapacity(Math.min(contextLength, INITIAL_POSITIONS));
  }

  int contextLength() {
    return contextLength;
  }

  int capacity() {
    return capacity;
  }

  /** Makes room for positions {@code [0, positions)}. */
  void ensureCapacity(int positions) {
    if (positions <= capacity) {
      return;
    }
    if (positions > contextLength) {
      throw new IllegalStateException(
          "the sequence needs %d positions but the context holds %d"
              .formatted(positions, contextLength));
    }
    int next = Math.max(positions, (int) Math.min(contextLength, Math.max(1L, 2L * capacity)));
    long elements = (long) next * kvDim;
    if (elements > Integer.MAX_VALUE - 8) {
      throw new IllegalStateException(
          "a KV cache of %d positions x %d floats per layer is too large; use a shorter context"
              .formatted(next, kvDim));
    }
    for (int l = 0; l < keys.length; l++) {
      keys[l] =
          keys[l] == null ? new float[(int) elements] : Arrays.copyOf(keys[l], (int) elements);
      values[l] =
          values[l] == null ? new float[(int) elements] : Arrays.copyOf(values[l], (int) elements);
    }
    capacity = next;
  }

  float[] keys(int layer) {
    return keys[layer];
  }

  float[] values(int layer) {
    return values[layer];
  }

  /** Float offset of a position's first key (or value) element. */
  int offset(int position) {
    return position * kvDim;
  }

  /** Bytes the cache holds now. */
  long byteSize() {
    return 2L * keys.length * capacity * kvDim * Float.BYTES;
  }
}
