package io.flashtensors.load;

import com.sun.nio.file.ExtendedOpenOption;
import io.flashtensors.format.FormatException;
import io.flashtensors.format.ModelFiles;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Positional reads of one source file, shared by all reader threads: O_DIRECT when asked and the
 * file system allows it, plain reads otherwise, and plain reads for any request O_DIRECT cannot
 * serve (an unaligned buffer, or a file system that rejects the read itself). {@link DirectIo#AUTO}
 * reads a file that is mostly in the page cache with plain reads: copying it from memory is many
 * times faster than reading the disk again.
 */
final class SourceReader implements AutoCloseable {

  private final ModelFiles.SourceFile file;
  private final FileChannel buffered;
  private final FileChannel direct;
  private final long blockSize;
  private volatile boolean directFailed;

  /** Share of a file in the page cache from which {@link DirectIo#AUTO} reads it buffered. */
  static final double CACHED_ENOUGH = 0.5;

  /** Tells how much of a file the page cache holds (0 to 1, or -1: unknown). */
  @FunctionalInterface
  interface CacheProbe {
    CacheProbe DEFAULT = PageCache::residentFraction;

    double residentFraction(FileChannel channel, long size);
  }

  /** Opens a file for reading, with O_DIRECT or without; tests substitute a refusing one. */
  @FunctionalInterface
  interface Opener {
    Opener DEFAULT =
        (path, direct) ->
            direct
                ? FileChannel.open(path, StandardOpenOption.READ, ExtendedOpenOption.DIRECT)
                : FileChannel.open(path, StandardOpenOption.READ);

    FileChannel open(Path path, boolean direct) throws IOException;
  }

  SourceReader(ModelFiles.SourceFile file, DirectIo mode) throws IOException {
    this(file, mode, Opener.DEFAULT);
  }

  SourceReader(ModelFiles.SourceFile file, DirectIo mode, Opener opener) throws IOException {
    this(file, mode, opener, CacheProbe.DEFAULT);
  }

  SourceReader(ModelFiles.SourceFile file, DirectIo mode, Opener opener, CacheProbe cache)
      throws IOException {
    this.file = file;
    Path path = file.path();
    try {
      this.buffered = opener.open(path, false);
    } catch (NoSuchFileException e) {
      throw new FormatException(path, "no such file", e);
    }
    long size = buffered.size();
    if (size < file.size()) {
      buffered.close();
      throw new FormatException(
          path, "is %d bytes but %d were expected (truncated)".formatted(size, file.size()));
    }
    FileChannel opened = null;
    long block = 0;
    boolean cached =
        mode == DirectIo.AUTO && cache.residentFraction(buffered, size) >= CACHED_ENOUGH;
    if (mode != DirectIo.OFF && !cached) {
      IOException refusal = null;
      try {
        block = Files.getFileStore(path).getBlockSize();
        if (block > 0 && LoadPlan.IO_ALIGNMENT % block == 0) {
          opened = opener.open(path, true);
        } else {
          refusal = new IOException("block size " + block + " does not divide 4096");
        }
      } catch (IOException | UnsupportedOperationException e) {
        refusal = e instanceof IOException io ? io : new IOException(e.getMessage(), e);
      }
      if (opened == null && mode == DirectIo.ON) {
        buffered.close();
        throw new IOException(
            "%s: O_DIRECT is not available (%s)".formatted(path, refusal.getMessage()), refusal);
      }
    }
    this.direct = opened;
    this.blockSize = block;
  }

  /** True when reads bypass the page cache. */
  boolean isDirect() {
    return direct != null && !directFailed;
  }

  /**
   * Reads {@code chunk.readLength()} bytes at {@code chunk.fileOffset()} into the start of {@code
   * buffer}.
   */
  void read(LoadPlan.ReadChunk chunk, MemorySegment buffer) throws IOException {
    read(chunk.fileOffset(), chunk.readLength(), chunk.bufferLength(), buffer);
  }

  /**
   * Reads {@code length} bytes at {@code position} into the start of {@code buffer}. With O_DIRECT
   * the read covers {@code bufferLength} bytes (a multiple of the block size) when the buffer is
   * that long and aligned; bytes past {@code length} are then left as the file had them, or as they
   * were past its end.
   */
  void read(long position, int length, int bufferLength, MemorySegment buffer) throws IOException {
    int done = 0;
    if (direct != null && !directFailed && aligned(position, bufferLength, buffer)) {
      ByteBuffer target = buffer.asSlice(0, bufferLength).asByteBuffer();
      try {
        while (done < length) {
          int n = direct.read(target, position + done);
          if (n <= 0 || target.position() % blockSize != 0) {
            break;
          }
          done = target.position();
        }
        done = Math.min(target.position(), length);
      } catch (IOException e) {
        // The file system rejected the O_DIRECT read itself (EINVAL): fall back for this file.
        directFailed = true;
        done = 0;
      }
    }
    if (done < length) {
      ByteBuffer target = buffer.asSlice(done, length - done).asByteBuffer();
      while (target.hasRemaining()) {
        int n = buffered.read(target, position + done + target.position());
        if (n < 0) {
          throw new FormatException(
              file.path(),
              "ended at byte %d while reading [%d, %d): the file is truncated"
                  .formatted(position + done + target.position(), position, position + length));
        }
      }
    }
  }

  private boolean aligned(long position, int bufferLength, MemorySegment buffer) {
    return buffer.address() % blockSize == 0
        && position % blockSize == 0
        && bufferLength % blockSize == 0
        && buffer.byteSize() >= bufferLength;
  }

  @Override
  public void close() throws IOException {
    try (buffered) {
      if (direct != null) {
        direct.close();
      }
    }
  }
}
