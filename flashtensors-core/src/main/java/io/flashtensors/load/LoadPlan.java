package io.flashtensors.load;

import io.flashtensors.format.DType;
import io.flashtensors.format.ModelFiles;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a load reads and where the bytes go, worked out before any byte moves.
 *
 * <p>A plan has three parts. <b>Destinations</b> are the memory blocks a target allocates, one per
 * (source file, device): tensors are views at offsets inside them, aligned to the target's
 * alignment. <b>Chunks</b> are the reads: a byte range of one file, at most the chunk size, with
 * the file offset and the buffer length 4 KiB-aligned so that O_DIRECT works. Each chunk lists its
 * <b>segments</b>: which bytes of the chunk go to which destination offset. <b>Placements</b> say
 * where each tensor ends up.
 *
 * <p>When every tensor of a file goes to one device and its offset suits the target's alignment,
 * the destination is an image of the file: for a flash layout, destination {@code i} is partition
 * {@code i} byte for byte; for a safetensors file, the file from the 4 KiB boundary before its
 * data. Every chunk is then one segment and a target may read straight into the destination.
 * Otherwise (safetensors offsets that miss the alignment, such as a GPU's 256 bytes, or a file
 * split over several devices) tensors are packed: each lands at the next aligned offset of its
 * destination, and a chunk is read into a staging buffer and scattered.
 *
 * @param model the files and tensors on disk
 * @param deviceMap the device map the plan was made for
 * @param alignment alignment of every tensor offset inside its destination
 * @param destinations memory blocks to allocate
 * @param chunks reads, in file order
 * @param tensors where each tensor lands, in file order
 */
public record LoadPlan(
    ModelFiles model,
    DeviceMap deviceMap,
    int alignment,
    List<Destination> destinations,
    List<ReadChunk> chunks,
    List<Placement> tensors) {

  /** Alignment of file offsets and buffer lengths for O_DIRECT. */
  public static final int IO_ALIGNMENT = 4096;

  /** Largest chunk: a read buffer must fit a ByteBuffer. */
  public static final long MAX_CHUNK_SIZE = 1L << 30;

  public LoadPlan {
    destinations = List.copyOf(destinations);
    chunks = List.copyOf(chunks);
    tensors = List.copyOf(tensors);
  }

  /**
   * A memory block of the load.
   *
   * @param index position in {@link LoadPlan#destinations()}
   * @param device where it lives
   * @param file the source file whose tensors it holds
   * @param size bytes to allocate
   * @param sourceOffset when the block is an image of its file, the file offset of its first byte
   *     (byte {@code k} of the block is byte {@code sourceOffset + k} of the file, so chunks may be
   *     read straight into it); -1 when tensors are packed into it from scattered segments
   */
  public record Destination(int index, Device device, int file, long size, long sourceOffset) {

    /**
     * True when the block is a byte-for-byte image of its file from offset 0 (flash partitions).
     */
    public boolean identity() {
      return sourceOffset == 0;
    }

    /** True when the block is an image of a contiguous range of its file. */
    public boolean inPlace() {
      return sourceOffset >= 0;
    }
  }

  /**
   * One read.
   *
   * @param index position in {@link LoadPlan#chunks()}
   * @param file index into the model's files
   * @param fileOffset first byte read, a multiple of {@value #IO_ALIGNMENT}
   * @param readLength bytes of the file read (the file may end before {@code bufferLength})
   * @param bufferLength length of the buffer to read into, a multiple of {@value #IO_ALIGNMENT}
   * @param segments where the bytes of the chunk go
   */
  public record ReadChunk(
      int index,
      int file,
      long fileOffset,
      int readLength,
      int bufferLength,
      List<Segment> segments) {

    public ReadChunk {
      segments = List.copyOf(segments);
    }

    /**
     * The destination range the whole buffer can be read into directly, when this chunk is one
     * segment starting at byte 0 of the chunk in an in-place destination; else null.
     */
    public Segment directSegment(List<Destination> destinations) {
      if (segments.size() != 1) {
        return null;
      }
      Segment s = segments.getFirst();
      Destination d = destinations.get(s.destination());
      boolean whole = s.chunkOffset() == 0 && s.length() == readLength;
      boolean fits = s.destinationOffset() + bufferLength <= d.size();
      return d.inPlace() && whole && fits ? s : null;
    }
  }

  /**
   * A run of chunk bytes bound for one destination.
   *
   * @param chunkOffset first byte inside the chunk
   * @param destination index into {@link LoadPlan#destinations()}
   * @param destinationOffset first byte inside the destination
   * @param length bytes
   */
  public record Segment(int chunkOffset, int destination, long destinationOffset, int length) {}

  /**
   * Where a tensor lands.
   *
   * @param name tensor name
   * @param dtype element type
   * @param shape dimensions
   * @param destination index into {@link LoadPlan#destinations()}
   * @param offset first byte inside the destination, a multiple of the plan's alignment
   * @param length bytes
   */
  public record Placement(
      String name, DType dtype, long[] shape, int destination, long offset, long length) {

    public Placement {
      shape = shape.clone();
    }

    @Override
    public long[] shape() {
      return shape.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Placement p
          && name.equals(p.name)
          && dtype == p.dtype
          && Arrays.equals(shape, p.shape)
          && destination == p.destination
          && offset == p.offset
          && length == p.length;
    }

    @Override
    public int hashCode() {
      return Objects.hash(name, dtype, Arrays.hashCode(shape), destination, offset, length);
    }

    @Override
    public String toString() {
      return "%s %s%s -> %d@%d (%d bytes)"
          .formatted(name, dtype, Arrays.toString(shape), destination, offset, length);
    }
  }

  /** Bytes read from files. */
  public long readBytes() {
    return chunks.stream().mapToLong(ReadChunk::readLength).sum();
  }

  /** Bytes of all destinations. */
  public long destinationBytes() {
    return destinations.stream().mapToLong(Destination::size).sum();
  }

  /** Largest buffer length of any chunk. */
  public int largestChunk() {
    return chunks.stream().mapToInt(ReadChunk::bufferLength).max().orElse(0);
  }

  /**
   * Plans the load of {@code model}.
   *
   * @param model files and tensors
   * @param deviceMap device of each tensor
   * @param alignment alignment of tensor offsets in destinations: a power of two, at most 4096
   * @param chunkSize bytes per read; rounded down to a multiple of 4 KiB, and for files with
   *     checksums to a multiple of the checksum block (at least one block) so each chunk verifies
   *     whole blocks
   */
  public static LoadPlan create(
      ModelFiles model, DeviceMap deviceMap, int alignment, long chunkSize) {
    if (alignment <= 0 || Integer.bitCount(alignment) != 1 || alignment > IO_ALIGNMENT) {
      throw new IllegalArgumentException(
          "alignment %d is not a power of two up to %d".formatted(alignment, IO_ALIGNMENT));
    }
    if (chunkSize < IO_ALIGNMENT || chunkSize > MAX_CHUNK_SIZE) {
      throw new IllegalArgumentException(
          "chunk size %d is not between 4 KiB and 1 GiB".formatted(chunkSize));
    }
    return new Planner(model, deviceMap, alignment, chunkSize / IO_ALIGNMENT * IO_ALIGNMENT).plan();
  }

  private static long alignUp(long n, long a) {
    return (n + a - 1) / a * a;
  }

  /** Builds a plan file by file. */
  private static final class Planner {
    private final ModelFiles model;
    private final DeviceMap deviceMap;
    private final int alignment;
    private final long chunkSize;
    private final List<Destination> destinations = new ArrayList<>();
    private final List<ReadChunk> chunks = new ArrayList<>();
    private final List<Placement> placements = new ArrayList<>();

    Planner(ModelFiles model, DeviceMap deviceMap, int alignment, long chunkSize) {
      this.model = model;
      this.deviceMap = deviceMap;
      this.alignment = alignment;
      this.chunkSize = chunkSize;
    }

    LoadPlan plan() {
      Map<Integer, List<ModelFiles.StoredTensor>> byFile = new LinkedHashMap<>();
      for (int i = 0; i < model.files().size(); i++) {
        byFile.put(i, new ArrayList<>());
      }
      for (ModelFiles.StoredTensor t : model.tensors()) {
        byFile.get(t.file()).add(t);
      }
      for (Map.Entry<Integer, List<ModelFiles.StoredTensor>> e : byFile.entrySet()) {
        List<ModelFiles.StoredTensor> tensors = e.getValue();
        tensors.sort(Comparator.comparingLong(ModelFiles.StoredTensor::offset));
        planFile(e.getKey(), tensors);
      }
      return new LoadPlan(model, deviceMap, alignment, destinations, chunks, placements);
    }

    private void planFile(int fileIndex, List<ModelFiles.StoredTensor> tensors) {
      ModelFiles.SourceFile file = model.files().get(fileIndex);
      long fileChunk = chunkSize;
      if (file.checksums() != null) {
        long block = file.checksums().blockSize();
        fileChunk = Math.max(block, fileChunk / block * block);
      }
      Map<ModelFiles.StoredTensor, Device> devices = new LinkedHashMap<>();
      for (ModelFiles.StoredTensor t : tensors) {
        devices.put(t, deviceMap.deviceFor(t.name()));
      }
      List<Device> used = devices.values().stream().distinct().toList();
      long regionStart = file.dataStart() / IO_ALIGNMENT * IO_ALIGNMENT;
      if (file.checksums() != null) {
        regionStart = regionStart / fileChunk * fileChunk;
      }
      long start = regionStart;
      boolean aligned = tensors.stream().allMatch(t -> (t.offset() - start) % alignment == 0);
      if (used.size() == 1 && aligned) {
        planInPlace(fileIndex, file, tensors, used.getFirst(), fileChunk, regionStart);
      } else {
        planPacked(fileIndex, file, tensors, devices, fileChunk);
      }
    }

    /**
     * The destination is an image of the file from {@code regionStart} (a multiple of 4 KiB): flash
     * partitions from 0, safetensors files from just before their data. Each chunk is one segment.
     */
    private void planInPlace(
        int fileIndex,
        ModelFiles.SourceFile file,
        List<ModelFiles.StoredTensor> tensors,
        Device device,
        long fileChunk,
        long regionStart) {
      int dest = destinations.size();
      long size = alignUp(file.size() - regionStart, IO_ALIGNMENT);
      destinations.add(new Destination(dest, device, fileIndex, size, regionStart));
      for (ModelFiles.StoredTensor t : tensors) {
        placements.add(
            new Placement(
                t.name(), t.dtype(), t.shape(), dest, t.offset() - regionStart, t.length()));
      }
      if (tensors.stream().allMatch(t -> t.length() == 0)) {
        return;
      }
      for (long off = regionStart; off < file.size(); off += fileChunk) {
        int length = (int) Math.min(fileChunk, file.size() - off);
        chunks.add(
            new ReadChunk(
                chunks.size(),
                fileIndex,
                off,
                length,
                (int) alignUp(length, IO_ALIGNMENT),
                List.of(new Segment(0, dest, off - regionStart, length))));
      }
    }

    /** A byte range of the file bound for one destination offset. */
    private record Range(long offset, long length, int destination, long destinationOffset) {}

    private void planPacked(
        int fileIndex,
        ModelFiles.SourceFile file,
        List<ModelFiles.StoredTensor> tensors,
        Map<ModelFiles.StoredTensor, Device> devices,
        long fileChunk) {
      Map<Device, Integer> destinationOf = new LinkedHashMap<>();
      Map<Integer, Long> cursor = new HashMap<>();
      Map<List<Object>, Range> ranges = new LinkedHashMap<>();
      for (ModelFiles.StoredTensor t : tensors) {
        Device device = devices.get(t);
        int dest =
            destinationOf.computeIfAbsent(
                device,
                d -> {
                  destinations.add(null);
                  return destinations.size() - 1;
                });
        Range range =
            ranges.computeIfAbsent(
                List.of(dest, t.offset(), t.length()),
                k -> {
                  long at = alignUp(cursor.getOrDefault(dest, 0L), alignment);
                  cursor.put(dest, at + t.length());
                  return new Range(t.offset(), t.length(), dest, at);
                });
        placements.add(
            new Placement(
                t.name(), t.dtype(), t.shape(), dest, range.destinationOffset(), t.length()));
      }
      destinationOf.forEach(
          (device, dest) ->
              destinations.set(
                  dest,
                  new Destination(
                      dest,
                      device,
                      fileIndex,
                      alignUp(cursor.getOrDefault(dest, 0L), alignment),
                      -1)));
      List<Range> sorted =
          ranges.values().stream()
              .filter(r -> r.length() > 0)
              .sorted(Comparator.comparingLong(Range::offset))
              .toList();
      if (sorted.isEmpty()) {
        return;
      }
      long start = sorted.getFirst().offset() / IO_ALIGNMENT * IO_ALIGNMENT;
      if (file.checksums() != null) {
        start = start / fileChunk * fileChunk;
      }
      long end = sorted.stream().mapToLong(r -> r.offset() + r.length()).max().orElseThrow();
      int first = 0;
      for (long off = start; off < end; off += fileChunk) {
        long chunkEnd = Math.min(off + fileChunk, end);
        List<Segment> segments = new ArrayList<>();
        while (first < sorted.size()
            && sorted.get(first).offset() + sorted.get(first).length() <= off) {
          first++;
        }
        for (int i = first; i < sorted.size() && sorted.get(i).offset() < chunkEnd; i++) {
          Range r = sorted.get(i);
          long from = Math.max(off, r.offset());
          long to = Math.min(chunkEnd, r.offset() + r.length());
          if (from < to) {
            addSegment(
                segments,
                new Segment(
                    (int) (from - off),
                    r.destination(),
                    r.destinationOffset() + (from - r.offset()),
                    (int) (to - from)));
          }
        }
        if (segments.isEmpty()) {
          continue;
        }
        long readEnd = Math.min(off + fileChunk, file.size());
        int readLength = (int) (readEnd - off);
        if (file.checksums() == null) {
          readLength = (int) (chunkEnd - off);
        }
        int bufferLength = (int) alignUp(readLength, IO_ALIGNMENT);
        chunks.add(
            new ReadChunk(chunks.size(), fileIndex, off, readLength, bufferLength, segments));
      }
    }

    private static void addSegment(List<Segment> segments, Segment next) {
      if (!segments.isEmpty()) {
        Segment last = segments.getLast();
        if (last.destination() == next.destination()
            && last.chunkOffset() + last.length() == next.chunkOffset()
            && last.destinationOffset() + last.length() == next.destinationOffset()) {
          segments.set(
              segments.size() - 1,
              new Segment(
                  last.chunkOffset(),
                  last.destination(),
                  last.destinationOffset(),
                  last.length() + next.length()));
          return;
        }
      }
      segments.add(next);
    }
  }
}
