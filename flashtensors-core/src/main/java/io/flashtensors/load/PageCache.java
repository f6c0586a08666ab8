package io.flashtensors.load;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;

/**
 * How much of a file the page cache holds, asked without reading it: the file is mapped (nothing is
 * touched, so nothing is faulted in) and {@link MemorySegment#isLoaded()} asks the kernel ({@code
 * mincore} on Linux) about a sample of windows spread evenly over it. Asking about every page of a
 * multi-gigabyte file costs about 0.1 s; the sample costs a few milliseconds.
 */
final class PageCache {

  /** Size of one sampled window; it counts as resident only when all of it is. */
  static final long WINDOW = 2L << 20;

  /** Windows sampled at most. */
  static final int SAMPLES = 64;

  private PageCache() {}

  /**
   * The estimated fraction (0 to 1) of the first {@code size} bytes of {@code channel} that are in
   * the page cache; -1 when it cannot be told (the file cannot be mapped).
   */
  static double residentFraction(FileChannel channel, long size) {
    if (size <= 0) {
      return -1;
    }
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
      long window = Math.min(WINDOW, size);
      int samples = (int) Math.min(SAMPLES, size / window);
      int resident = 0;
      for (int i = 0; i < samples; i++) {
        long from = samples == 1 ? 0 : (size - window) * i / (samples - 1);
        if (mapped.asSlice(from, window).isLoaded()) {
          resident++;
        }
      }
      return (double) resident / samples;
    } catch (IOException | UnsupportedOperationException | IllegalStateException e) {
      return -1;
    }
  }
}
