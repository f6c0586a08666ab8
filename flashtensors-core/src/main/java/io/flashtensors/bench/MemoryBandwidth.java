package io.flashtensors.bench;

import io.flashtensors.llm.cpu.ParallelRunner;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.List;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A plain multi-threaded read of a set of memory segments: every byte loaded once with wide vector
 * loads and folded into a checksum (so the reads cannot be skipped), split over the same threads
 * the engine uses. Its speed is the memory-bandwidth ceiling of weight-streaming decode.
 */
public final class MemoryBandwidth {

  private static final VectorSpecies<Long> L = LongVector.SPECIES_PREFERRED;
  private static final int BLOCK = 1 << 16;

  private MemoryBandwidth() {}

  /**
   * Reads every segment once; returns a checksum of their contents. Runs on the runner's workers
   * (as the engine's forward pass does), each segment split over all of them.
   */
  public static long read(List<MemorySegment> segments, ParallelRunner runner) {
    long[] result = new long[1];
    runner.execute(() -> result[0] = readAll(segments, runner));
    return result[0];
  }

  private static long readAll(List<MemorySegment> segments, ParallelRunner runner) {
    long checksum = 0;
    for (MemorySegment segment : segments) {
      long blocks = (segment.byteSize() + BLOCK - 1) / BLOCK;
      long[] partial = new long[runner.maxChunks()];
      runner.forRange(
          Math.toIntExact(blocks),
          Long.MAX_VALUE,
          (chunk, start, end) ->
              partial[chunk] ^=
                  readRange(
                      segment,
                      (long) start * BLOCK,
                      Math.min(segment.byteSize(), (long) end * BLOCK)));
      for (long p : partial) {
        checksum ^= p;
      }
    }
    return checksum;
  }

  private static long readRange(MemorySegment s, long from, long to) {
    int step = L.vectorByteSize();
    LongVector a0 = LongVector.zero(L);
    LongVector a1 = LongVector.zero(L);
    LongVector a2 = LongVector.zero(L);
    LongVector a3 = LongVector.zero(L);
    long at = from;
    for (; at + 4L * step <= to; at += 4L * step) {
      a0 = a0.add(LongVector.fromMemorySegment(L, s, at, ByteOrder.LITTLE_ENDIAN));
      a1 = a1.add(LongVector.fromMemorySegment(L, s, at + step, ByteOrder.LITTLE_ENDIAN));
      a2 = a2.add(LongVector.fromMemorySegment(L, s, at + 2L * step, ByteOrder.LITTLE_ENDIAN));
      a3 = a3.add(LongVector.fromMemorySegment(L, s, at + 3L * step, ByteOrder.LITTLE_ENDIAN));
    }
    long sum = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
    for (; at < to; at++) {
      sum += s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, at);
    }
    return sum;
  }
}
