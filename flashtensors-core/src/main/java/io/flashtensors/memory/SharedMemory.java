package io.flashtensors.memory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Optional;

/**
 * Host memory other processes can map: a file on a memory file system ({@code /dev/shm}), its
 * blocks reserved up front with {@code posix_fallocate} so that a full file system is an error
 * here, not a {@code SIGBUS} on first touch later, then mapped shared.
 *
 * <p>The daemon keeps resident models in such files; a client on the same machine maps them
 * read-only and runs on the weights without copying them.
 */
public final class SharedMemory {

  private static final int O_RDWR = 2;
  private static final int O_CREAT = 0x40;
  private static final int O_EXCL = 0x80;
  private static final int O_CLOEXEC = 0x80000;

  private static final Native NATIVE = Native.load().orElse(null);

  private SharedMemory() {}

  /** Whether shared memory can be created here (Linux, native access granted). */
  public static boolean available() {
    return NATIVE != null;
  }

  /**
   * Creates a file of {@code size} bytes (mode 0600, failing if it exists), reserves its blocks and
   * maps it read-write until {@code arena} closes.
   *
   * @throws IOException naming the file when it cannot be created or the file system is full
   */
  public static MemorySegment create(Path file, long size, Arena arena) throws IOException {
    if (NATIVE == null) {
      throw new IOException("shared memory needs Linux and --enable-native-access");
    }
    NATIVE.createReserved(file, size);
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      return size == 0
          ? MemorySegment.NULL
          : ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(file);
      throw e;
    }
  }

  /** Maps a shared file read-only until {@code arena} closes. */
  public static MemorySegment openReadOnly(Path file, Arena arena) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      return size == 0 ? MemorySegment.NULL : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
    }
  }

  private record Native(MethodHandle open, MethodHandle fallocate, MethodHandle close) {

    @SuppressWarnings("restricted") // native access is what this class is for
    static Optional<Native> load() {
      if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
        return Optional.empty();
      }
      try {
        Linker linker = Linker.nativeLinker();
        SymbolLookup libc = linker.defaultLookup();
        MethodHandle open =
            linker.downcallHandle(
                libc.find("open").orElseThrow(),
                FunctionDescriptor.of(
                    ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS,
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT),
                Linker.Option.firstVariadicArg(2));
        MethodHandle fallocate =
            linker.downcallHandle(
                libc.find("posix_fallocate").orElseThrow(),
                FunctionDescriptor.of(
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG));
        MethodHandle close =
            linker.downcallHandle(
                libc.find("close").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        return Optional.of(new Native(open, fallocate, close));
      } catch (RuntimeException e) {
        return Optional.empty();
      }
    }

    void createReserved(Path file, long size) throws IOException {
      int fd;
      try (Arena a = Arena.ofConfined()) {
        fd =
            (int)
                open.invokeExact(
                    a.allocateFrom(file.toString()), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      } catch (Throwable t) {
        throw new IOException("cannot create " + file + ": " + t, t);
      }
      if (fd < 0) {
        throw new IOException(
            "cannot create " + file + " (it exists, or its folder is not writable)");
      }
      int rc;
      try {
        rc = size == 0 ? 0 : (int) fallocate.invokeExact(fd, 0L, size);
      } catch (Throwable t) {
        rc = -1;
      } finally {
        try {
          int ignored = (int) close.invokeExact(fd);
        } catch (Throwable t) {
          // The descriptor goes with the process at worst.
        }
      }
      if (rc != 0) {
        Files.deleteIfExists(file);
        throw new IOException(
            "cannot reserve "
                + size
                + " bytes for "
                + file
                + (rc == 28 ? ": the file system is full (ENOSPC)" : ": error " + rc));
      }
    }
  }
}
