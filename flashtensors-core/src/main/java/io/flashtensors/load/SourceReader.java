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
 * serve (an unaligned buffer, or a file system that rejects the read itself).
 */
final class SourceReader implements AutoCloseable {

  private final ModelFiles.SourceFile file;
  private final FileChannel buffered;
  private final FileChannel direct;
  private final long blockSize;
  private volatile boolean directFailed;

  SourceReader(ModelFiles.SourceFile file, DirectIo mode) throws IOException {
    this.file = file;
    Path path = file.path();
    try {
      this.buffered = FileChannel.open(path, StandardOpenOption.READ);
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
    if (mode != DirectIo.OFF) {
      IOException refusal = null;
      try {
        block = Files.getFileStore(path).getBlockSize();
        if (block > 0 && LoadPlan.IO_ALIGNMENT % block == 0) {
          opened = FileChannel.open(path, StandardOpenOption.READ, ExtendedOpenOption.DIRECT);
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
    long position = chunk.fileOffset();
    int wanted = chunk.readLength();
    int done = 0;
    if (direct != null && !directFailed && aligned(chunk, buffer)) {
      ByteBuffer target = buffer.asSlice(0, chunk.bufferLength()).asByteBuffer();
      try {
        while (done < wanted) {
          int n = direct.read(target, position + done);
          if (n <= 0 || target.position() % blockSize != 0) {
            break;
          }
          done = target.position();
        }
        done = Math.min(target.position(), wanted);
      } catch (IOException e) {
        // The file system rejected the O_DIRECT read itself (EINVAL): fall back for this file.
        directFailed = true;
        done = 0;
      }
    }
    if (done < wanted) {
      ByteBuffer target = buffer.asSlice(done, wanted - done).asByteBuffer();
      while (target.hasRemaining()) {
        int n = buffered.read(target, position + done + target.position());
        if (n < 0) {
          throw new FormatException(
              file.path(),
              "ended at byte %d while reading [%d, %d): the file is truncated"
                  .formatted(position + done + target.position(), position, position + wanted));
        }
      }
    }
  }

  private boolean aligned(LoadPlan.ReadChunk chunk, MemorySegment buffer) {
    return buffer.address() % blockSize == 0
        && chunk.fileOffset() % blockSize == 0
        && chunk.bufferLength() % blockSize == 0
        && buffer.byteSize() >= chunk.bufferLength();
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
