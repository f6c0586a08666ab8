package io.flashtensors.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ByteSizeTest {

  @ParameterizedTest
  @CsvSource({
    "4096, 4096",
    "4096B, 4096",
    "1K, 1024",
    "1KB, 1024",
    "1KiB, 1024",
    "32MB, 33554432",
    "32mb, 33554432",
    "30GB, 32212254720",
    "1.5G, 1610612736",
    "2TiB, 2199023255552",
    "' 8 MiB ', 8388608"
  })
  void parseShouldReadBinaryUnits(String text, long bytes) {
    assertThat(ByteSize.parse(text)).isEqualTo(bytes);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "GB", "-1GB", "1XB", "1 G B", "ten", "99999999999PB", "1iB"})
  void parseWhenNotASizeShouldFailNamingTheText(String text) {
    assertThatThrownBy(() -> ByteSize.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + text + "'");
  }

  @ParameterizedTest
  @CsvSource({
    "0, 0 B",
    "1023, 1023 B",
    "1024, 1.0 KiB",
    "1610612736, 1.5 GiB",
    "32212254720, 30.0 GiB"
  })
  void formatShouldUseBinaryUnits(long bytes, String text) {
    assertThat(ByteSize.format(bytes)).isEqualTo(text);
  }
}
