package io.flashtensors.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flashtensors.format.FormatException;
import io.flashtensors.format.ModelFiles;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** O_DIRECT and its fallbacks, with file systems that refuse it simulated. */
class SourceReaderTest {

  @TempDir Path dir;
  Path file;
  byte[] content;
  ModelFiles.SourceFile source;

  @BeforeEach
  void write() throws Exception {
    content = new byte[3 * 4096 + 100];
    new Random(2).nextBytes(content);
    file = dir.resolve("data.bin");
    Files.write(file, content);
    source = new ModelFiles.SourceFile(file, content.length, 0, null);
  }

  /** The last chunk: aligned offset, 100 bytes of the file, a 4 KiB buffer (reads past EOF). */
  private LoadPlan.ReadChunk lastChunk() {
    return new LoadPlan.ReadChunk(
        0, 0, 3 * 4096, 100, 4096, List.of(new LoadPlan.Segment(0, 0, 0, 100)));
  }

  private void assertReads(SourceReader reader) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment buffer = arena.allocate(4096, 4096);
      reader.read(lastChunk(), buffer);
      assertThat(buffer.asSlice(0, 100).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))
          .isEqualTo(java.util.Arrays.copyOfRange(content, 3 * 4096, content.length));
    }
  }

  private static final SourceReader.CacheProbe NOT_CACHED = (channel, size) -> 0;
  private static final SourceReader.CacheProbe CACHED = (channel, size) -> 1;
  private static final SourceReader.CacheProbe UNKNOWN = (channel, size) -> -1;

  private boolean diskFileSystem() throws IOException {
    String type = Files.getFileStore(file).type();
    return type.equals("ext4") || type.equals("xfs");
  }

  @Test
  void directReadsOnADiskFileSystemIncludingAShortLastBlock() throws Exception {
    for (SourceReader.CacheProbe probe : List.of(NOT_CACHED, UNKNOWN)) {
      try (SourceReader reader =
          new SourceReader(source, DirectIo.AUTO, SourceReader.Opener.DEFAULT, probe)) {
        if (diskFileSystem()) {
          assertThat(reader.isDirect()).isTrue();
        }
        assertReads(reader);
      }
    }
  }

  @Test
  void autoReadsAFileThePageCacheHoldsWithPlainReads() throws Exception {
    try (SourceReader reader =
        new SourceReader(source, DirectIo.AUTO, SourceReader.Opener.DEFAULT, CACHED)) {
      assertThat(reader.isDirect()).isFalse();
      assertReads(reader);
    }
  }

  @Test
  void onReadsWithODirectEvenWhenThePageCacheHoldsTheFile() throws Exception {
    if (!diskFileSystem()) {
      return; // nothing to show where O_DIRECT is refused
    }
    try (SourceReader reader =
        new SourceReader(source, DirectIo.ON, SourceReader.Opener.DEFAULT, CACHED)) {
      assertThat(reader.isDirect()).isTrue();
      assertReads(reader);
    }
  }

  @Test
  void autoFallsBackToBufferedReadsWhenOpeningWithODirectFails() throws Exception {
    SourceReader.Opener refusing =
        (path, direct) -> {
          if (direct) {
            throw new IOException("Invalid argument");
          }
          return FileChannel.open(path);
        };
    try (SourceReader reader = new SourceReader(source, DirectIo.AUTO, refusing, NOT_CACHED)) {
      assertThat(reader.isDirect()).isFalse();
      assertReads(reader);
    }
    assertThatThrownBy(() -> new SourceReader(source, DirectIo.ON, refusing))
        .hasMessage(file + ": O_DIRECT is not available (Invalid argument)");
  }

  @Test
  void autoFallsBackWhenTheFileSystemRejectsTheDirectReadItself() throws Exception {
    SourceReader.Opener rejectingReads =
        (path, direct) ->
            direct ? new RejectingChannel(FileChannel.open(path)) : FileChannel.open(path);
    try (SourceReader reader =
        new SourceReader(source, DirectIo.AUTO, rejectingReads, NOT_CACHED)) {
      assertThat(reader.isDirect()).isTrue();
      assertReads(reader);
      assertThat(reader.isDirect()).isFalse();
      assertReads(reader);
    }
  }

  @Test
  void aFileShorterThanExpectedIsReportedAsTruncated() throws Exception {
    ModelFiles.SourceFile longer = new ModelFiles.SourceFile(file, content.length + 4096, 0, null);
    assertThatThrownBy(() -> new SourceReader(longer, DirectIo.OFF))
        .isInstanceOf(FormatException.class)
        .hasMessage(
            file
                + ": is %d bytes but %d were expected (truncated)"
                    .formatted(content.length, content.length + 4096));
  }

  @Test
  void aFileThatShrinksDuringTheLoadIsReportedAsTruncated() throws Exception {
    try (SourceReader reader = new SourceReader(source, DirectIo.OFF)) {
      Files.write(file, java.util.Arrays.copyOf(content, 3 * 4096 + 10));
      try (Arena arena = Arena.ofConfined()) {
        assertThatThrownBy(() -> reader.read(lastChunk(), arena.allocate(4096, 4096)))
            .isInstanceOf(FormatException.class)
            .hasMessageContaining(
                "ended at byte 12298 while reading [12288, 12388): the file is truncated");
      }
    }
  }

  /** A channel whose positional reads fail as O_DIRECT reads do on some file systems. */
  private static final class RejectingChannel extends FileChannel {
    private final FileChannel delegate;

    RejectingChannel(FileChannel delegate) {
      this.delegate = delegate;
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
      throw new IOException("Invalid argument");
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      throw new IOException("Invalid argument");
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
      throw new IOException("Invalid argument");
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      return delegate.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
      return delegate.write(srcs, offset, length);
    }

    @Override
    public long position() throws IOException {
      return delegate.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
      delegate.position(newPosition);
      return this;
    }

    @Override
    public long size() throws IOException {
      return delegate.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
      delegate.truncate(size);
      return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
      delegate.force(metaData);
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target)
        throws IOException {
      return delegate.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count)
        throws IOException {
      return delegate.transferFrom(src, position, count);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
      return delegate.write(src, position);
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
      return delegate.map(mode, position, size);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
      return delegate.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
      return delegate.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
      delegate.close();
    }
  }
}
