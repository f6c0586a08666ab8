package io.flashtensors.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Large page-aligned host memory for tensors, freed when its arena closes.
 *
 * <p>On Linux, blocks of {@value #MMAP_THRESHOLD} bytes or more come from an anonymous {@code
 * mmap}: unlike {@link Arena#allocate} it is not zeroed up front (the kernel supplies zero pages on
 * first touch, so the reader threads fault it in in parallel as they fill it), and it is marked for
 * transparent huge pages. The first such block in a JVM pays for setting up the native calls (60 to
 * 800 ms measured on a busy 2-core machine; {@link #prepareInBackground()} overlaps it with other
 * work); smaller blocks, other systems, and JVMs that deny native access use {@link
 * Arena#allocate}.
 */
public final class HostMemory {

  /** Alignment of every block: a page, which is what O_DIRECT needs. */
  public static final long ALIGNMENT = 4096;

  private static final int PROT_READ = 1;
  private static final int PROT_WRITE = 2;
  private static final int MAP_PRIVATE = 0x02;
  private static final int MAP_ANONYMOUS = 0x20;
  private static final int MADV_HUGEPAGE = 14;

  /**
   * Smallest block taken from mmap (16 MiB). Below it, zeroing the block costs less than setting up
   * the native calls in a fresh JVM; above it, huge pages win: on the development VM, 80 MiB of
   * fresh memory took 150 to 230 ms to zero through {@link Arena#allocate} and 20 to 50 ms to fault
   * in through mmap with transparent huge pages.
   */
  public static final long MMAP_THRESHOLD = 16L << 20;

  private static final java.util.concurrent.atomic.AtomicBoolean PREPARING =
      new java.util.concurrent.atomic.AtomicBoolean();

  /** Loaded on first use, so that small allocations never set up native calls. */
  private static final class Holder {
    static final Native NATIVE = Native.load().orElse(null);
  }

  private HostMemory() {}

  /**
   * Allocates {@code size} bytes aligned to {@value #ALIGNMENT}, valid until {@code arena} closes.
   *
   * @throws OutOfMemoryError when the system cannot provide the memory
   */
  public static MemorySegment allocate(long size, Arena arena) {
    if (size < 0) {
      throw new IllegalArgumentException("negative size " + size);
    }
    if (size < MMAP_THRESHOLD || Holder.NATIVE == null) {
      return arena.allocate(size, ALIGNMENT);
    }
    return Holder.NATIVE.map(size, arena);
  }

  /**
   * Sets up the native calls on a background thread, so that a load can plan while they are being
   * prepared. Does nothing after the first call.
   */
  public static void prepareInBackground() {
    if (PREPARING.compareAndSet(false, true)) {
      Thread.ofPlatform().name("flashtensors-host-memory").daemon(true).start(() -> usesMmap());
    }
  }

  /** True when large allocations use mmap (Linux with native access). */
  public static boolean usesMmap() {
    return Holder.NATIVE != null;
  }

  private record Native(MethodHandle mmap, MethodHandle munmap, MethodHandle madvise) {

    static Optional<Native> load() {
      if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
        return Optional.empty();
      }
      try {
        Linker linker = Linker.nativeLinker();
        SymbolLookup libc = linker.defaultLookup();
        MethodHandle mmap =
            linker.downcallHandle(
                libc.find("mmap").orElseThrow(),
                FunctionDescriptor.of(
                    ValueLayout.ADDRESS,
                    ValueLayout.ADDRESS,
                    ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_LONG));
        MethodHandle munmap =
            linker.downcallHandle(
                libc.find("munmap").orElseThrow(),
                FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        MethodHandle madvise =
            linker.downcallHandle(
                libc.find("madvise").orElseThrow(),
                FunctionDescriptor.of(
                    ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS,
                    ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_INT));
        return Optional.of(new Native(mmap, munmap, madvise));
      } catch (RuntimeException | Error e) {
        // No native access (--enable-native-access refused) or no libc symbols: use the arena.
        return Optional.empty();
      }
    }

    MemorySegment map(long size, Arena arena) {
      MemorySegment address;
      try {
        address =
            (MemorySegment)
                mmap.invokeExact(
                    MemorySegment.NULL,
                    size,
                    PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS,
                    -1,
                    0L);
      } catch (Throwable t) {
        throw new IllegalStateException("mmap failed", t);
      }
      if (address.address() == -1L) {
        throw new OutOfMemoryError("cannot map %d bytes of host memory".formatted(size));
      }
      try {
        int ignored = (int) madvise.invokeExact(address, size, MADV_HUGEPAGE);
      } catch (Throwable t) {
        // Huge pages are an optimisation only.
      }
      return address.reinterpret(size, arena, segment -> unmap(segment.address(), size));
    }

    private void unmap(long address, long size) {
      try {
        int ignored = (int) munmap.invokeExact(MemorySegment.ofAddress(address), size);
      } catch (Throwable t) {
        throw new IllegalStateException("munmap failed", t);
      }
    }
  }
}
