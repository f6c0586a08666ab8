package io.flashtensors.llm.chat;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.json.JsonMapper;

class PythonJsonTest {

  /** Expected values are what CPython 3.11 prints for repr(float). */
  @ParameterizedTest
  @CsvSource({
    "1.0, 1.0",
    "1e-5, 1e-05",
    "1e16, 1e+16",
    "1.5e16, 1.5e+16",
    "0.0001, 0.0001",
    "0.00012345, 0.00012345",
    "123456789.0, 123456789.0",
    "1e300, 1e+300",
    "-2.5e-7, -2.5e-07",
    "0.1, 0.1",
    "100, 100.0",
    "1234567890123456.0, 1234567890123456.0",
    "12345678901234567.0, 1.2345678901234568e+16",
    "4.9e-324, 5e-324",
    "1.7976931348623157e308, 1.7976931348623157e+308",
    "-0.0, -0.0",
    "3.14159, 3.14159"
  })
  void writesFloatsAsPythonRepr(double value, String python) {
    assertThat(PythonJson.pythonFloat(value)).isEqualTo(python);
  }

  @Test
  void writesLikeJsonDumpsWithoutAsciiEscaping() {
    JsonMapper json = JsonMapper.builder().build();
    String input =
        "{\"a\": [1, 2.0, null, true], \"\u00fc\": \"x\\\"\\\\\\n\\t\\u0001\\u007f\ud83d\ude00\","
            + " \"big\": 123456789012345678901234567890, \"e\": 1e-5}";
    assertThat(PythonJson.dumps(json.readTree(input)))
        .isEqualTo(
            "{\"a\": [1, 2.0, null, true], \"\u00fc\": \"x\\\"\\\\\\n\\t\\u0001\u007f\ud83d\ude00\","
                + " \"big\": 123456789012345678901234567890, \"e\": 1e-05}");
  }
}
