package io.flashtensors.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.flashtensors.format.DType;
import io.flashtensors.format.ModelFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LoadPlanTest {

  private static ModelFiles.StoredTensor tensor(String name, int file, long offset, long length) {
    return new ModelFiles.StoredTensor(name, DType.U8, new long[] {length}, file, offset, length);
  }

  private static ModelFiles model(
      ModelFiles.Format format,
      List<ModelFiles.SourceFile> files,
      List<ModelFiles.StoredTensor> tensors) {
    return new ModelFiles(Path.of("m"), format, "m", null, Map.of(), files, tensors);
  }

  /** A flash partition of 5 GiB (offsets past 2^31) with a checksum block of 1 MiB. */
  private static ModelFiles bigFlash() {
    long size = 5L << 30;
    int blocks = (int) (size >> 20);
    ModelFiles.SourceFile file =
        new ModelFiles.SourceFile(
            Path.of("partition-00000.bin"),
            size,
            0,
            new ModelFiles.Checksums(1 << 20, new int[blocks]));
    return model(
        ModelFiles.Format.FLASH,
        List.of(file),
        List.of(
            tensor("a", 0, 0, 3L << 30),
            tensor("b", 0, 3L << 30, (2L << 30) - 4096),
            tensor("tied", 0, 0, 3L << 30)));
  }

  @Test
  void flashPartitionsOnOneDeviceMapByteForByte() {
    LoadPlan plan = LoadPlan.create(bigFlash(), DeviceMap.cpu(), 64, 32L << 20);
    assertThat(plan.destinations())
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.identity()).isTrue();
              assertThat(d.size()).isEqualTo(5L << 30);
            });
    assertThat(plan.chunks()).hasSize(160);
    for (LoadPlan.ReadChunk c : plan.chunks()) {
      assertThat(c.directSegment(plan.destinations())).isNotNull();
      assertThat(c.segments())
          .containsExactly(new LoadPlan.Segment(0, 0, c.fileOffset(), c.readLength()));
    }
    assertThat(plan.chunks().getLast().fileOffset()).isEqualTo((5L << 30) - (32L << 20));
    assertThat(plan.readBytes()).isEqualTo(5L << 30);
    assertThat(plan.tensors())
        .extracting(LoadPlan.Placement::name, LoadPlan.Placement::offset)
        .containsExactly(tuple("a", 0L), tuple("tied", 0L), tuple("b", 3L << 30));
  }

  @Test
  void chunksOfChecksummedFilesAreWholeChecksumBlocks() {
    LoadPlan plan = LoadPlan.create(bigFlash(), DeviceMap.cpu(), 64, (3L << 20) + 4096);
    assertThat(plan.chunks()).allSatisfy(c -> assertThat(c.fileOffset() % (3L << 20)).isZero());
    assertThat(plan.chunks().getFirst().readLength()).isEqualTo(3 << 20);
    LoadPlan small = LoadPlan.create(bigFlash(), DeviceMap.cpu(), 64, 64 << 10);
    assertThat(small.chunks().getFirst().readLength()).isEqualTo(1 << 20);
  }

  @Test
  void safetensorsTensorsArePackedAtAlignedOffsetsAndEveryByteHasOneSegment() {
    // An unaligned header (dataStart 1000) and odd tensor sizes, as real safetensors files have.
    List<ModelFiles.StoredTensor> tensors = new ArrayList<>();
    long offset = 1000;
    long[] sizes = {10, 70_001, 3, 1 << 20, 0, 4097, 5_000_000};
    for (int i = 0; i < sizes.length; i++) {
      tensors.add(tensor("t" + i, 0, offset, sizes[i]));
      offset += sizes[i];
    }
    ModelFiles.SourceFile file =
        new ModelFiles.SourceFile(Path.of("x.safetensors"), offset, 1000, null);
    LoadPlan plan =
        LoadPlan.create(
            model(ModelFiles.Format.SAFETENSORS, List.of(file), tensors),
            DeviceMap.cpu(),
            256,
            1 << 20);
    assertThat(plan.destinations())
        .singleElement()
        .satisfies(d -> assertThat(d.identity()).isFalse());
    for (LoadPlan.Placement p : plan.tensors()) {
      assertThat(p.offset() % 256).as(p.name()).isZero();
    }
    for (LoadPlan.ReadChunk c : plan.chunks()) {
      assertThat(c.fileOffset() % 4096).isZero();
      assertThat(c.bufferLength() % 4096).isZero();
      assertThat(c.bufferLength()).isGreaterThanOrEqualTo(c.readLength());
      assertThat(c.directSegment(plan.destinations())).isNull();
    }
    // Replay the segments: every tensor byte lands exactly once at its placement.
    for (int i = 0; i < tensors.size(); i++) {
      ModelFiles.StoredTensor t = tensors.get(i);
      LoadPlan.Placement p = plan.tensors().get(i);
      long covered = 0;
      for (LoadPlan.ReadChunk c : plan.chunks()) {
        for (LoadPlan.Segment s : c.segments()) {
          long from = c.fileOffset() + s.chunkOffset();
          long to = from + s.length();
          long lo = Math.max(from, t.offset());
          long hi = Math.min(to, t.offset() + t.length());
          if (lo < hi) {
            assertThat(s.destinationOffset() + (lo - from))
                .isEqualTo(p.offset() + (lo - t.offset()));
            covered += hi - lo;
          }
        }
      }
      assertThat(covered).as(t.name()).isEqualTo(t.length());
    }
    assertThat(plan.readBytes()).isEqualTo(offset - 0);
  }

  @Test
  void deviceMapSplitsAPartitionIntoOneDestinationPerDevice() {
    ModelFiles.SourceFile file =
        new ModelFiles.SourceFile(
            Path.of("p"), 3 * 4096, 0, new ModelFiles.Checksums(4096, new int[3]));
    ModelFiles model =
        model(
            ModelFiles.Format.FLASH,
            List.of(file),
            List.of(
                tensor("model.embed_tokens.weight", 0, 0, 4000),
                tensor("model.layers.0.w", 0, 4096, 4096),
                tensor("model.layers.10.w", 0, 8192, 100)));
    DeviceMap map = DeviceMap.parse("{\"model.layers.0\": \"cuda:1\", \"\": \"cpu\"}");
    LoadPlan plan = LoadPlan.create(model, map, 256, 4096);
    assertThat(plan.destinations())
        .extracting(LoadPlan.Destination::device)
        .containsExactly(Device.CPU, Device.cuda(1));
    assertThat(plan.tensors())
        .extracting(LoadPlan.Placement::destination, LoadPlan.Placement::offset)
        .containsExactly(tuple(0, 0L), tuple(1, 0L), tuple(0, 4096L));
  }

  @Test
  void rejectsAlignmentsAndChunkSizesOutOfRange() {
    assertThatThrownBy(() -> LoadPlan.create(bigFlash(), DeviceMap.cpu(), 48, 1 << 20))
        .hasMessageContaining("alignment 48");
    assertThatThrownBy(() -> LoadPlan.create(bigFlash(), DeviceMap.cpu(), 64, 100))
        .hasMessageContaining("chunk size 100");
  }

  @Test
  void deviceMapWithoutAnEntryForATensorIsAnError() {
    DeviceMap map = DeviceMap.parse("{\"a\": \"cpu\"}");
    assertThatThrownBy(() -> LoadPlan.create(bigFlash(), map, 64, 1 << 20))
        .hasMessage("device map {\"a\": \"cpu\"} has no entry for tensor 'tied'");
  }
}
