package io.flashtensors.llm.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-level BPE: a pre-token's UTF-8 bytes start as one symbol each and the adjacent pair with the
 * lowest merge rank is merged until no pair has a merge, ties going to the leftmost pair (the order
 * of Hugging Face's tokenizers, which keeps a heap of (rank, position)). Results are cached per
 * pre-token, so repeated words cost one map lookup.
 */
final class BytePairModel {

  /** Pre-tokens longer than this (in chars) are not cached, so a huge blob cannot pin memory. */
  private static final int MAX_CACHED_LENGTH = 256;

  private final Map<String, Integer> vocab;
  private final MergeTable merges;
  private final int[] byteIds = new int[256];
  private final boolean ignoreMerges;
  private final int cacheCapacity;
  private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

  /**
   * @param vocab token string (in the byte alphabet) to id
   * @param merges pairs and their ranks
   * @param ignoreMerges when true, a pre-token that is itself in the vocabulary is taken whole
   * @param cacheCapacity how many pre-tokens to remember (0 turns the cache off)
   */
  BytePairModel(
      Map<String, Integer> vocab, MergeTable merges, boolean ignoreMerges, int cacheCapacity) {
    this.vocab = vocab;
    this.merges = merges;
    this.ignoreMerges = ignoreMerges;
    this.cacheCapacity = cacheCapacity;
    for (int b = 0; b < 256; b++) {
      Integer id = vocab.get(String.valueOf(ByteLevel.charOf(b)));
      if (id == null) {
        throw new IllegalArgumentException(
            "the vocabulary has no token for byte 0x"
                + Integer.toHexString(b)
                + " ('"
                + ByteLevel.charOf(b)
                + "'), so it is not a byte-level BPE vocabulary");
      }
      byteIds[b] = id;
    }
  }

  /** Appends the ids of one pre-token (a piece of text the pre-tokenizer produced). */
  void encode(String piece, IntList out) {
    int[] cached = cache.get(piece);
    if (cached != null) {
      out.addAll(cached);
      return;
    }
    int[] ids = encodeUncached(piece.getBytes(StandardCharsets.UTF_8));
    if (piece.length() <= MAX_CACHED_LENGTH && cache.size() < cacheCapacity) {
      cache.put(piece, ids);
    }
    out.addAll(ids);
  }

  int[] encodeUncached(byte[] bytes) {
    int n = bytes.length;
    if (n == 0) {
      return new int[0];
    }
    if (n == 1) {
      return new int[] {byteIds[bytes[0] & 0xFF]};
    }
    if (ignoreMerges) {
      Integer whole = vocab.get(ByteLevel.encode(bytes));
      if (whole != null) {
        return new int[] {whole};
      }
    }
    return n <= SMALL_WORD ? mergeSmall(bytes) : mergeWithHeap(bytes);
  }

  /** Words up to this many bytes are merged by scanning, longer ones with a heap. */
  static final int SMALL_WORD = 24;

  /**
   * Scans the few pairs of a short word for the lowest rank (leftmost on ties) at each step: the
   * same choice the heap makes, without its allocations.
   */
  int[] mergeSmall(byte[] bytes) {
    int n = bytes.length;
    int[] symbol = new int[n];
    int[] slot = new int[n]; // slot[i]: merge of (symbol[i], symbol[i + 1]), or -1
    for (int i = 0; i < n; i++) {
      symbol[i] = byteIds[bytes[i] & 0xFF];
    }
    for (int i = 0; i + 1 < n; i++) {
      slot[i] = merges.find(symbol[i], symbol[i + 1]);
    }
    while (n > 1) {
      int best = -1;
      int bestRank = Integer.MAX_VALUE;
      for (int i = 0; i + 1 < n; i++) {
        if (slot[i] >= 0 && merges.rankAt(slot[i]) < bestRank) {
          bestRank = merges.rankAt(slot[i]);
          best = i;
        }
      }
      if (best < 0) {
        break;
      }
      symbol[best] = merges.mergedIdAt(slot[best]);
      System.arraycopy(symbol, best + 2, symbol, best + 1, n - best - 2);
      System.arraycopy(slot, best + 2, slot, best + 1, n - best - 2);
      n--;
      if (best > 0) {
        slot[best - 1] = merges.find(symbol[best - 1], symbol[best]);
      }
      slot[best] = best + 1 < n ? merges.find(symbol[best], symbol[best + 1]) : -1;
    }
    return Arrays.copyOf(symbol, n);
  }

  /** Merges a long word with a heap of (rank, position), as Hugging Face's tokenizers does. */
  int[] mergeWithHeap(byte[] bytes) {
    int n = bytes.length;
    int[] symbol = new int[n];
    int[] next = new int[n];
    int[] prev = new int[n];
    for (int i = 0; i < n; i++) {
      symbol[i] = byteIds[bytes[i] & 0xFF];
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    PairHeap heap = new PairHeap(n);
    for (int i = 0; i + 1 < n; i++) {
      int slot = merges.find(symbol[i], symbol[i + 1]);
      if (slot >= 0) {
        heap.push(merges.rankAt(slot), i);
      }
    }
    int live = n;
    while (!heap.isEmpty()) {
      long top = heap.pop();
      int rank = (int) (top >>> 32);
      int pos = (int) top;
      if (symbol[pos] < 0 || next[pos] < 0) {
        continue; // merged away, or now the last symbol
      }
      int right = next[pos];
      int slot = merges.find(symbol[pos], symbol[right]);
      if (slot < 0 || merges.rankAt(slot) != rank) {
        continue; // stale: one side changed since the pair was queued
      }
      symbol[pos] = merges.mergedIdAt(slot);
      symbol[right] = -1;
      next[pos] = next[right];
      if (next[pos] >= 0) {
        prev[next[pos]] = pos;
      }
      live--;
      if (prev[pos] >= 0) {
        int left = prev[pos];
        int leftSlot = merges.find(symbol[left], symbol[pos]);
        if (leftSlot >= 0) {
          heap.push(merges.rankAt(leftSlot), left);
        }
      }
      if (next[pos] >= 0) {
        int rightSlot = merges.find(symbol[pos], symbol[next[pos]]);
        if (rightSlot >= 0) {
          heap.push(merges.rankAt(rightSlot), pos);
        }
      }
    }
    int[] ids = new int[live];
    int k = 0;
    for (int i = 0; i >= 0; i = next[i]) {
      ids[k++] = symbol[i];
    }
    return ids;
  }

  /** A binary min-heap of (rank, position) packed in longs: lower rank first, then leftmost. */
  private static final class PairHeap {
    private long[] items;
    private int size;

    PairHeap(int capacity) {
      items = new long[Math.max(4, capacity)];
    }

    boolean isEmpty() {
      return size == 0;
    }

    void push(int rank, int pos) {
      if (size == items.length) {
        items = Arrays.copyOf(items, size * 2);
      }
      long item = ((long) rank << 32) | pos;
      int i = size++;
      while (i > 0) {
        int parent = (i - 1) >>> 1;
        if (items[parent] <= item) {
          break;
        }
        items[i] = items[parent];
        i = parent;
      }
      items[i] = item;
    }

    long pop() {
      long top = items[0];
      long last = items[--size];
      int i = 0;
      int half = size >>> 1;
      while (i < half) {
        int child = 2 * i + 1;
        if (child + 1 < size && items[child + 1] < items[child]) {
          child++;
        }
        if (last <= items[child]) {
          break;
        }
        items[i] = items[child];
        i = child;
      }
      items[i] = last;
      return top;
    }
  }
}
