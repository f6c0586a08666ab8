package io.flashtensors.format;

import io.flashtensors.memory.Tensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * Writes tensors into the data partitions of a flash layout: each record starts at a multiple of
 * {@value FlashManifest#ALIGNMENT} bytes and is zero-padded to the next one, partitions stop short
 * of the configured size (a larger tensor gets a partition of its own), and a CRC32C covers each
 * checksum block. Tensors whose bytes are identical (tied weights) are stored once.
 *
 * <p>This class writes into a folder it is given; making the result appear atomically is the
 * caller's job ({@link FlashConverter}, {@link FlashLayout}).
 */
final class FlashLayoutWriter {

  /** Default largest partition: 4 GiB. */
  static final long DEFAULT_PARTITION_SIZE = 4L << 30;

  /** Default checksum block: 1 MiB, so loads with chunks of 1 MiB or more verify chunk by chunk. */
  static final int DEFAULT_CHECKSUM_BLOCK = 1 << 20;

  private static final int PIECE = 8 << 20;
  private static final int SAMPLE = 4096;
  private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(FlashManifest.ALIGNMENT);

  /** Called before every write; tests use it to fail a write as a full disk would. */
  @FunctionalInterface
  interface WriteCheck {
    WriteCheck NONE = (file, position, bytes) -> {};

    void beforeWrite(Path file, long position, int bytes) throws IOException;
  }

  /** What was written: the partitions and where every tensor went. */
  record Written(
      List<FlashManifest.Partition> partitions,
      List<FlashManifest.TensorRecord> tensors,
      long bytesWritten) {}

  private final long partitionSize;
  private final int checksumBlock;
  private final Progress progress;
  private final WriteCheck writeCheck;

  FlashLayoutWriter(long partitionSize, int checksumBlock, Progress progress, WriteCheck check) {
    if (partitionSize < FlashManifest.ALIGNMENT) {
      throw new IllegalArgumentException(
          "partition size %d is below %d bytes".formatted(partitionSize, FlashManifest.ALIGNMENT));
    }
    if (checksumBlock <= 0 || checksumBlock % FlashManifest.ALIGNMENT != 0) {
      throw new IllegalArgumentException(
          "checksum block %d is not a multiple of %d"
              .formatted(checksumBlock, FlashManifest.ALIGNMENT));
    }
    this.partitionSize = partitionSize;
    this.checksumBlock = checksumBlock;
    this.progress = progress;
    this.writeCheck = check;
  }

  /** File name of partition {@code i}. */
  static String partitionName(int i) {
    return "partition-%05d.bin".formatted(i);
  }

  /** Writes {@code tensors}, in order, into partitions inside {@code folder}. */
  Written write(Path folder, List<Tensor> tensors) throws IOException {
    Set<String> names = new HashSet<>();
    long total = 0;
    for (Tensor t : tensors) {
      if (!names.add(t.name())) {
        throw new IllegalArgumentException("tensor '%s' appears twice".formatted(t.name()));
      }
      total += t.data().byteSize();
    }
    Map<Long, List<Stored>> byFingerprint = new HashMap<>();
    List<FlashManifest.Partition> partitions = new ArrayList<>();
    List<FlashManifest.TensorRecord> records = new ArrayList<>();
    long done = 0;
    long written = 0;
    PartitionFile current = null;
    try {
      for (Tensor t : tensors) {
        MemorySegment data = t.data();
        long length = data.byteSize();
        long fingerprint = fingerprint(data);
        Stored same = length == 0 ? null : findSame(byFingerprint.get(fingerprint), data);
        if (same != null) {
          records.add(record(t, same.partition, same.offset));
        } else {
          long padded = alignUp(length);
          if (current == null || (current.size > 0 && current.size + padded > partitionSize)) {
            if (current != null) {
              partitions.add(current.close());
              written += current.size;
            }
            current = new PartitionFile(folder, partitions.size());
          }
          long offset = current.append(data);
          records.add(record(t, current.index, offset));
          if (length > 0) {
            byFingerprint
                .computeIfAbsent(fingerprint, k -> new ArrayList<>())
                .add(new Stored(data, current.index, offset));
          }
        }
        done += length;
        progress.update(done, total);
      }
      if (current == null) {
        current = new PartitionFile(folder, 0);
      }
      partitions.add(current.close());
      written += current.size;
      current = null;
    } finally {
      if (current != null) {
        current.abandon();
      }
    }
    return new Written(partitions, records, written);
  }

  private static FlashManifest.TensorRecord record(Tensor t, int partition, long offset) {
    return new FlashManifest.TensorRecord(
        t.name(), t.dtype(), t.shape(), partition, offset, t.data().byteSize());
  }

  private record Stored(MemorySegment data, int partition, long offset) {}

  private static Stored findSame(List<Stored> candidates, MemorySegment data) {
    if (candidates == null) {
      return null;
    }
    for (Stored c : candidates) {
      if (c.data.byteSize() == data.byteSize() && c.data.mismatch(data) == -1) {
        return c;
      }
    }
    return null;
  }

  /** Length plus CRC32C of a few sampled pages: equal bytes give equal fingerprints. */
  private static long fingerprint(MemorySegment data) {
    long length = data.byteSize();
    CRC32C crc = new CRC32C();
    long[] starts = {0, Math.max(0, length / 2 - SAMPLE / 2), Math.max(0, length - SAMPLE)};
    for (long start : starts) {
      long n = Math.min(SAMPLE, length - start);
      if (n > 0) {
        crc.update(data.asSlice(start, n).asByteBuffer());
      }
    }
    return length * 31 + crc.getValue();
  }

  static long alignUp(long n) {
    return (n + FlashManifest.ALIGNMENT - 1) / FlashManifest.ALIGNMENT * FlashManifest.ALIGNMENT;
  }

  /** One partition being written. */
  private final class PartitionFile {
    final int index;
    final Path path;
    final FileChannel channel;
    final BlockChecksums checksums = new BlockChecksums(checksumBlock);
    long size;

    PartitionFile(Path folder, int index) throws IOException {
      this.index = index;
      this.path = folder.resolve(partitionName(index));
      this.channel =
          FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }

    /** Appends a record and returns its offset. */
    long append(MemorySegment data) throws IOException {
      long offset = size;
      for (long done = 0; done < data.byteSize(); ) {
        int n = (int) Math.min(PIECE, data.byteSize() - done);
        write(data.asSlice(done, n).asByteBuffer());
        done += n;
      }
      int pad = (int) (alignUp(size) - size);
      if (pad > 0) {
        write(ZEROS.slice(0, pad));
      }
      return offset;
    }

    private void write(ByteBuffer buffer) throws IOException {
      writeCheck.beforeWrite(path, size, buffer.remaining());
      checksums.update(buffer);
      int n = buffer.remaining();
      while (buffer.hasRemaining()) {
        channel.write(buffer, size + (n - buffer.remaining()));
      }
      size += n;
    }

    FlashManifest.Partition close() throws IOException {
      try (channel) {
        channel.force(true);
      }
      return new FlashManifest.Partition(path.getFileName().toString(), size, checksums.finish());
    }

    void abandon() {
      try {
        channel.close();
      } catch (IOException ignored) {
        // the caller deletes the whole folder
      }
    }
  }
}
