package io.flashtensors.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each bad safetensors input gets one error naming the file and the problem; a conversion from it
 * leaves nothing in the destination's folder.
 */
class BadSafetensorsTest {

  private static final String GOOD =
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
          + "\"b\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[16,24]}}";

  @TempDir Path dir;

  private Path file(String header, long declaredLength, int dataBytes) throws Exception {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(declaredLength).put(json);
    Path folder = Files.createDirectories(dir.resolve("src"));
    Path file = folder.resolve("model.safetensors");
    Files.write(file, b.array());
    return file;
  }

  private Path file(String header, int dataBytes) throws Exception {
    return file(header, header.getBytes(StandardCharsets.UTF_8).length, dataBytes);
  }

  /** Reading fails with the problem, and converting fails the same way leaving no trace. */
  private AbstractThrowableAssert<?, ? extends Throwable> rejects(Path file, String problem)
      throws Exception {
    assertThatThrownBy(() -> Safetensors.readHeader(file))
        .isInstanceOf(FormatException.class)
        .hasMessageStartingWith(file.toString() + ": ")
        .hasMessageContaining(problem);
    Path destination = dir.resolve("out/flash");
    var converting =
        assertThatThrownBy(() -> FlashConverter.create().convert(file.getParent(), destination))
            .isInstanceOf(FormatException.class)
            .hasMessageContaining(problem);
    assertThat(destination).doesNotExist();
    if (Files.exists(dir.resolve("out"))) {
      try (Stream<Path> left = Files.list(dir.resolve("out"))) {
        assertThat(left).isEmpty();
      }
    }
    return converting;
  }

  @Test
  void goodFileIsAccepted() throws Exception {
    assertThat(Safetensors.readHeader(file(GOOD, 24)).tensors()).hasSize(2);
  }

  @Test
  void truncatedFile() throws Exception {
    Path f = file(GOOD, 20);
    rejects(f, "tensor 'b': data_offsets [16, 24) run past the end of the data (20 bytes)");
  }

  @Test
  void fileTooShortForTheLengthPrefix() throws Exception {
    Path f = Files.createDirectories(dir.resolve("src")).resolve("model.safetensors");
    Files.write(f, new byte[] {1, 2, 3});
    rejects(f, "truncated: 3 bytes");
  }

  @Test
  void headerLengthLargerThanTheFile() throws Exception {
    rejects(file(GOOD, 10_000, 24), "header length 10000 is larger than the file");
  }

  @Test
  void headerLengthNegativeAsSigned() throws Exception {
    rejects(file(GOOD, -5, 24), "header length 18446744073709551611 is larger than the file");
  }

  @Test
  void headerThatIsNotJson() throws Exception {
    rejects(file("{\"a\": [1, 2", 0), "header is not JSON");
  }

  @Test
  void headerThatIsNotUtf8() throws Exception {
    byte[] bad = {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'};
    ByteBuffer b = ByteBuffer.allocate(8 + bad.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(bad.length).put(bad);
    Path f = Files.createDirectories(dir.resolve("src")).resolve("model.safetensors");
    Files.write(f, b.array());
    rejects(f, "header is not valid UTF-8");
  }

  @Test
  void headerThatIsAJsonArray() throws Exception {
    rejects(file("[1, 2, 3]", 0), "header is not a JSON object");
  }

  @Test
  void offsetsOutOfRange() throws Exception {
    rejects(
        file("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[100,116]}}", 16),
        "run past the end of the data");
  }

  @Test
  void overlappingOffsets() throws Exception {
    rejects(
        file(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}",
            16),
        "tensors 'a' [0, 16) and 'b' [8, 16) overlap");
  }

  @Test
  void offsetsThatDoNotMatchDtypeTimesShape() throws Exception {
    rejects(
        file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 20),
        "tensor 'a': F32[2, 3] needs 24 bytes but data_offsets [0, 20) hold 20");
  }

  @Test
  void offsetsThatEndBeforeTheyBegin() throws Exception {
    rejects(
        file("{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[8,0]}}", 8),
        "end before they begin");
  }

  @Test
  void gapBetweenTensors() throws Exception {
    rejects(
        file(
            "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[8,12]}}",
            12),
        "data bytes [4, 8) before tensor 'b' belong to no tensor");
  }

  @Test
  void trailingBytesAfterTheLastTensor() throws Exception {
    rejects(
        file("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}", 10),
        "the last 6 bytes of the file belong to no tensor");
  }

  @Test
  void unknownDtype() throws Exception {
    rejects(
        file("{\"a\":{\"dtype\":\"Q4_K\",\"shape\":[4],\"data_offsets\":[0,4]}}", 4),
        "tensor 'a': unknown dtype 'Q4_K'");
  }

  @Test
  void lowerCaseDtypeIsUnknownAsInTheSpecification() throws Exception {
    rejects(
        file("{\"a\":{\"dtype\":\"bf16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4),
        "unknown dtype 'bf16'");
  }

  @Test
  void duplicateNames() throws Exception {
    rejects(
        file(
            "{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4,8]}}",
            8),
        "header names a tensor twice");
  }

  @Test
  void subByteTensorThatIsNotAWholeNumberOfBytes() throws Exception {
    rejects(
        file("{\"a\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", 2),
        "tensor 'a': F4[3] is not a whole number of bytes (12 bits)");
  }

  @Test
  void shapeThatOverflows() throws Exception {
    rejects(
        file(
            "{\"a\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}",
            8),
        "tensor 'a': shape [4294967296, 4294967296] overflows");
  }

  @Test
  void negativeDimension() throws Exception {
    rejects(
        file("{\"a\":{\"dtype\":\"U8\",\"shape\":[-4],\"data_offsets\":[0,4]}}", 4),
        "shape [-4] is not a list of sizes");
  }

  @Test
  void missingDataOffsets() throws Exception {
    rejects(file("{\"a\":{\"dtype\":\"U8\",\"shape\":[4]}}", 4), "data_offsets is not a pair");
  }

  @Test
  void headerLargerThanTheSpecificationAllows() throws Exception {
    Path f = Files.createDirectories(dir.resolve("src")).resolve("model.safetensors");
    try (var channel =
        java.nio.channels.FileChannel.open(
            f, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
      ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      prefix.putLong(Safetensors.MAX_HEADER_SIZE + 1).flip();
      channel.write(prefix);
      channel.write(ByteBuffer.allocate(1), Safetensors.MAX_HEADER_SIZE + 8); // sparse file
    }
    rejects(f, "is over the 100000000 bytes safetensors allows");
  }
}
