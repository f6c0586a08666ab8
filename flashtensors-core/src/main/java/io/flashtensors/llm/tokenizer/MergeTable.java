package io.flashtensors.llm.tokenizer;

import java.util.Arrays;

/**
 * The BPE merges as an open-addressing hash table from a pair of token ids to the merge's rank (its
 * position in the merges list, lower merges first) and the id of the merged token. Pairs are looked
 * up once per adjacent symbol pair of every new word, so this avoids boxing.
 */
final class MergeTable {

  private final long[] keys;
  private final int[] ranks;
  private final int[] mergedIds;
  private final int mask;
  private final int shift;
  private int size;

  MergeTable(int expectedSize) {
    int capacity = Integer.highestOneBit(Math.max(4, expectedSize * 2 + 1) - 1) << 1;
    keys = new long[capacity];
    ranks = new int[capacity];
    mergedIds = new int[capacity];
    Arrays.fill(ranks, -1);
    mask = capacity - 1;
    shift = 64 - Integer.numberOfTrailingZeros(capacity);
  }

  /**
   * Adds a merge; a pair listed twice takes the later rank, as Hugging Face's tokenizers (which
   * collects the list into a map) does.
   */
  void put(int left, int right, int rank, int mergedId) {
    if (size * 2 >= keys.length) {
      throw new IllegalStateException("merge table full");
    }
    long key = key(left, right);
    int slot = slot(key);
    while (ranks[slot] >= 0) {
      if (keys[slot] == key) {
        ranks[slot] = rank;
        mergedIds[slot] = mergedId;
        return;
      }
      slot = (slot + 1) & mask;
    }
    keys[slot] = key;
    ranks[slot] = rank;
    mergedIds[slot] = mergedId;
    size++;
  }

  /** The slot holding the pair, or -1. */
  int find(int left, int right) {
    long key = key(left, right);
    int slot = slot(key);
    while (ranks[slot] >= 0) {
      if (keys[slot] == key) {
        return slot;
      }
      slot = (slot + 1) & mask;
    }
    return -1;
  }

  int rankAt(int slot) {
    return ranks[slot];
  }

  int mergedIdAt(int slot) {
    return mergedIds[slot];
  }

  int size() {
    return size;
  }

  private static long key(int left, int right) {
    return ((long) left << 32) | (right & 0xFFFFFFFFL);
  }

  private int slot(long key) {
    long h = key * 0x9E3779B97F4A7C15L;
    return (int) (h >>> shift);
  }
}
