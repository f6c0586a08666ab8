package io.flashtensors.memory;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Whole-segment reads and writes through a {@link FileChannel}, in pieces a ByteBuffer can hold.
 */
public final class SegmentIo {

  /** Largest piece handed to one read or write call (a ByteBuffer holds at most 2 GiB - 1). */
  private static final long PIECE = 1L << 30;

  private SegmentIo() {}

  /** Writes all of {@code data} at the channel's current position. */
  public static void writeFully(FileChannel channel, MemorySegment data) throws IOException {
    for (long done = 0; done < data.byteSize(); ) {
      long n = Math.min(PIECE, data.byteSize() - done);
      ByteBuffer buffer = data.asSlice(done, n).asByteBuffer();
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      done += n;
    }
  }

  /**
   * Reads exactly {@code into.byteSize()} bytes starting at {@code position}.
   *
   * @throws EOFException when the file ends first
   */
  public static void readFully(FileChannel channel, long position, MemorySegment into)
      throws IOException {
    for (long done = 0; done < into.byteSize(); ) {
      long n = Math.min(PIECE, into.byteSize() - done);
      ByteBuffer buffer = into.asSlice(done, n).asByteBuffer();
      while (buffer.hasRemaining()) {
        int read = channel.read(buffer, position + done + buffer.position());
        if (read < 0) {
          throw new EOFException(
              "file ended at byte %d, %d bytes short"
                  .formatted(
                      position + done + buffer.position(),
                      into.byteSize() - done - buffer.position()));
        }
      }
      done += n;
    }
  }
}
