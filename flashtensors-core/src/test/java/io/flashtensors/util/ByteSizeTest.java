package io.flashtensors.util;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ByteSizeTest {

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource({
    "4096, 4096",
    "4096B, 4096",
    "7b, 7",
    "1K, 1024",
    "1KB, 1024",
    "1KiB, 1024",
    "512 KiB, 524288",
    "32MB, 33554432",
    "32mb, 33554432",
    "32MiB, 33554432",
    "32Mi, 33554432",
    "32m, 33554432",
    "16g, 17179869184",
    "4GB, 4294967296",
    "30GB, 32212254720",
    "1GiB, 1073741824",
    "1.5G, 1610612736",
    "2TB, 2199023255552",
    "2TiB, 2199023255552",
    "1P, 1125899906842624",
    "7EiB, 8070450532247928832",
    "0.5K, 512",
    "1.5, 2",
    "' 8 MiB ', 8388608"
  })
  void parseShouldReadBinaryUnitsInEverySpelling(String text, long bytes) {
    assertThat(ByteSize.parse(text)).isEqualTo(bytes);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "", " ", "MB", "GB", "-1MB", "-1GB", "12XB", "1XB", "1 G B", "1iB", "1Bi", "1MBi", "one",
        "ten", "1,5G", "0x10", "1e3"
      })
  void parseWhenNotASizeShouldFailNamingTheText(String text) {
    assertThatThrownBy(() -> ByteSize.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("'%s' is not a size (examples: 4096, 32MB, 512KiB, 16g, 1.5GiB)", text);
  }

  @ParameterizedTest
  @ValueSource(strings = {"99999999999PB", "8EiB", "9223372036854775808"})
  void parseWhenTooLargeShouldSaySo(String text) {
    assertThatThrownBy(() -> ByteSize.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("'%s' is too large (at most 8.0 EiB)", text);
  }

  @Test
  void parseWhenNullShouldFailWithTheSameMessage() {
    assertThatThrownBy(() -> ByteSize.parse(null)).hasMessageStartingWith("'null' is not a size");
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "0, 0 B",
    "1023, 1023 B",
    "1024, 1.0 KiB",
    "4198, 4.1 KiB",
    "800768, 782 KiB",
    "1048575, 1.0 MiB",
    "33554432, 32.0 MiB",
    "1610612736, 1.5 GiB",
    "5368709120, 5.0 GiB",
    "32212254720, 30.0 GiB",
    "9223372036854775807, 8.0 EiB",
    "-2048, -2.0 KiB"
  })
  void formatShouldGiveAShortBinaryForm(long bytes, String text) {
    assertThat(ByteSize.format(bytes)).isEqualTo(text);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "0, 0 B",
    "512, 512 B",
    "1024, 1 KiB",
    "800768, 782 KiB",
    "33554432, 32 MiB",
    "16384000000, 15.26 GiB",
    "4294967296, 4 GiB"
  })
  void formatPreciseShouldKeepWholeNumbersAndTwoDecimals(long bytes, String text) {
    assertThat(ByteSize.formatPrecise(bytes)).isEqualTo(text);
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 1023, 4096, 33554432, 1610612736, 32212254720L})
  void formatPreciseOfWholeUnitsShouldParseBack(long bytes) {
    assertThat(ByteSize.parse(ByteSize.formatPrecise(bytes))).isEqualTo(bytes);
  }
}
