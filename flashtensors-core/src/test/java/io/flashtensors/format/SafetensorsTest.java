package io.flashtensors.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flashtensors.memory.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reader against files we write by hand and the writer against the reference's bytes. */
class SafetensorsTest {

  @TempDir Path dir;

  /**
   * The byte vector of test_serialization in huggingface/safetensors (safetensors/src/tensor.rs).
   */
  @Test
  void writerMatchesTheReferenceImplementationByteForByte() throws Exception {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment data = arena.allocate(24);
      for (int i = 0; i < 6; i++) {
        data.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, i);
      }
      Path file = dir.resolve("ref.safetensors");
      Safetensors.write(
          file,
          Map.of("attn.0", new Tensor("attn.0", DType.F32, new long[] {1, 2, 3}, data)),
          Map.of());
      byte[] expected =
          bytes(
              64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
              116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
              58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115, 101,
              116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0,
              0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64);
      assertThat(Files.readAllBytes(file)).isEqualTo(expected);
    }
  }

  /** test_empty of the reference: no tensors, with and without metadata. */
  @Test
  void emptyFilesMatchTheReference() throws Exception {
    Path plain = dir.resolve("empty.safetensors");
    Safetensors.write(plain, Map.of(), Map.of());
    assertThat(Files.readAllBytes(plain))
        .isEqualTo(bytes(8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32));
    Path withMeta = dir.resolve("meta.safetensors");
    Safetensors.write(withMeta, Map.of(), Map.of("framework", "pt"));
    assertThat(Files.readAllBytes(withMeta))
        .isEqualTo(
            bytes(
                40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
                95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
                116, 34, 125, 125, 32, 32, 32, 32, 32));
    assertThat(Safetensors.readHeader(withMeta).metadata()).containsEntry("framework", "pt");
    assertThat(Safetensors.readHeader(withMeta).tensors()).isEmpty();
  }

  @Test
  void readsTensorsInByteOrderWithMetadata() throws Exception {
    Path file =
        raw(
            "{\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[8,12]},"
                + "\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}",
            12);
    SafetensorsFile parsed = Safetensors.readHeader(file);
    assertThat(parsed.tensors()).extracting(SafetensorsFile.Entry::name).containsExactly("a", "b");
    assertThat(parsed.metadata()).isEqualTo(Map.of("format", "pt"));
    assertThat(parsed.dataStart() + 12).isEqualTo(Files.size(file));
  }

  @Test
  void everyDtypeOfTheSpecificationIsKnownWithItsBitSize() {
    Map<String, Integer> spec = new LinkedHashMap<>();
    // From Dtype::bitsize in huggingface/safetensors (safetensors/src/tensor.rs, May 2026).
    spec.put("BOOL", 8);
    spec.put("F4", 4);
    spec.put("F6_E2M3", 6);
    spec.put("F6_E3M2", 6);
    spec.put("U8", 8);
    spec.put("I8", 8);
    spec.put("F8_E5M2", 8);
    spec.put("F8_E4M3", 8);
    spec.put("F8_E8M0", 8);
    spec.put("F8_E4M3FNUZ", 8);
    spec.put("F8_E5M2FNUZ", 8);
    spec.put("I16", 16);
    spec.put("U16", 16);
    spec.put("F16", 16);
    spec.put("BF16", 16);
    spec.put("I32", 32);
    spec.put("U32", 32);
    spec.put("F32", 32);
    spec.put("C64", 64);
    spec.put("F64", 64);
    spec.put("I64", 64);
    spec.put("U64", 64);
    assertThat(DType.values()).hasSize(spec.size());
    spec.forEach(
        (name, bits) -> assertThat(DType.fromSafetensorsName(name).bits()).isEqualTo(bits));
  }

  @Test
  void shardedCheckpointsAreReadThroughTheirIndex() throws Exception {
    try (Arena arena = Arena.ofConfined()) {
      Map<String, Tensor> tensors = TestTensors.everyDtype(arena, 7);
      Path folder = dir.resolve("sharded");
      SafetensorsCheckpoint.writeSharded(folder, tensors, 50_000, Map.of());
      SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(folder);
      assertThat(checkpoint.index()).isEqualTo(folder.resolve(SafetensorsCheckpoint.INDEX_FILE));
      assertThat(checkpoint.files()).hasSizeGreaterThan(2);
      assertThat(checkpoint.tensorCount()).isEqualTo(tensors.size());
    }
  }

  static byte[] bytes(int... values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      b[i] = (byte) values[i];
    }
    return b;
  }

  /** A file with this header text and {@code dataBytes} bytes of data after it. */
  Path raw(String header, int dataBytes) throws Exception {
    return raw(
        "t.safetensors", header.getBytes(StandardCharsets.UTF_8), header.length(), dataBytes);
  }

  Path raw(String name, byte[] header, long declaredLength, int dataBytes) throws Exception {
    ByteBuffer b =
        ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(declaredLength).put(header);
    Path file = dir.resolve(name);
    Files.write(file, b.array());
    return file;
  }

  @Test
  void rejectsHeaderWhoseValuesAreNotStrings() {
    assertThatThrownBy(() -> Safetensors.readHeader(raw("{\"__metadata__\":{\"n\":1}}", 0)))
        .isInstanceOf(FormatException.class)
        .hasMessageContaining("__metadata__ value of 'n' is not a string");
  }
}
