package io.flashtensors.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ByteSizeTest {

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource({
    "4096, 4096",
    "32MB, 33554432",
    "32MiB, 33554432",
    "32m, 33554432",
    "1GiB, 1073741824",
    "1.5G, 1610612736",
    "512 KiB, 524288",
    "2TB, 2199023255552",
    "7b, 7",
  })
  void parsesBinarySizes(String text, long bytes) {
    assertThat(ByteSize.parse(text)).isEqualTo(bytes);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "MB", "-1MB", "12XB", "1iB", "one", "99999999999PB"})
  void rejectsWhatIsNotASize(String text) {
    assertThatThrownBy(() -> ByteSize.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + text + "'");
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "0, 0 B",
    "1023, 1023 B",
    "1024, 1.00 KiB",
    "33554432, 32.0 MiB",
    "5368709120, 5.00 GiB"
  })
  void formatsShortly(long bytes, String text) {
    assertThat(ByteSize.format(bytes)).isEqualTo(text);
  }
}
