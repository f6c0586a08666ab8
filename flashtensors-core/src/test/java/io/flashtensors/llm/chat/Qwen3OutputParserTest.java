package io.flashtensors.llm.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flashtensors.llm.TokenListener.PieceKind;
import io.flashtensors.llm.ToolCall;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Qwen3OutputParserTest {

  private record Piece(String text, PieceKind kind) {}

  /** Feeds the output in random chunks and checks the streamed pieces against the result. */
  private static ParsedOutput parseInChunks(String output, long seed, List<Piece> pieces) {
    Random random = new Random(seed);
    Qwen3OutputParser parser = new Qwen3OutputParser(false, i -> "call_" + i);
    int i = 0;
    while (i < output.length()) {
      int n = 1 + random.nextInt(6);
      int end = Math.min(output.length(), i + n);
      parser.accept(output.substring(i, end), (text, kind) -> pieces.add(new Piece(text, kind)));
      i = end;
    }
    ParsedOutput result = parser.finish((text, kind) -> pieces.add(new Piece(text, kind)));
    assertThat(join(pieces, PieceKind.REASONING)).isEqualTo(result.reasoning());
    assertThat(join(pieces, PieceKind.CONTENT)).isEqualTo(result.content());
    return result;
  }

  private static String join(List<Piece> pieces, PieceKind kind) {
    StringBuilder out = new StringBuilder();
    pieces.stream().filter(p -> p.kind() == kind).forEach(p -> out.append(p.text()));
    return out.toString();
  }

  @Test
  void separatesReasoningFromAnswerWhateverTheChunking() {
    String output = "<think>\nLet me add: 2+2=4.\n</think>\n\nThe answer is **4**.\n";
    for (long seed = 0; seed < 50; seed++) {
      ParsedOutput result = parseInChunks(output, seed, new ArrayList<>());
      assertThat(result.reasoning()).isEqualTo("Let me add: 2+2=4.");
      assertThat(result.content()).isEqualTo("The answer is **4**.");
      assertThat(result.toolCalls()).isEmpty();
      assertThat(result.reasoningUnfinished()).isFalse();
    }
  }

  @Test
  void readsToolCalls() {
    String output =
        "<think>\nNeed weather.\n</think>\n\nChecking.\n<tool_call>\n{\"name\": \"get_weather\","
            + " \"arguments\": {\"city\": \"Paris\", \"days\": 2}}\n</tool_call>\n<tool_call>\n"
            + "{\"name\": \"get_time\", \"arguments\": \"{\\\"tz\\\": \\\"UTC\\\"}\"}\n</tool_call>";
    for (long seed = 0; seed < 30; seed++) {
      List<Piece> pieces = new ArrayList<>();
      ParsedOutput result = parseInChunks(output, seed, pieces);
      assertThat(result.content()).isEqualTo("Checking.");
      assertThat(result.toolCalls())
          .containsExactly(
              new ToolCall("call_0", "get_weather", "{\"city\": \"Paris\", \"days\": 2}"),
              new ToolCall("call_1", "get_time", "{\"tz\": \"UTC\"}"));
      assertThat(join(pieces, PieceKind.TOOL_CALL))
          .startsWith("<tool_call>\n{")
          .endsWith("}\n</tool_call>");
    }
  }

  @Test
  void reportsMalformedToolCallsWithoutFailingTheParse() {
    ParsedOutput result =
        Qwen3OutputParser.parse(
            "<tool_call>\n{\"name\": \"f\", \"arguments\": {oops}\n</tool_call>"
                + "<tool_call>{\"arguments\": {}}</tool_call>"
                + "<tool_call>{\"name\": \"g\", \"arguments\": [1]}</tool_call>"
                + "<tool_call>{\"name\": \"h\"}</tool_call>"
                + "<tool_call>{\"name\": \"cut");
    assertThat(result.toolCalls()).containsExactly(new ToolCall("call_0", "h", "{}"));
    assertThat(result.malformedToolCalls()).hasSize(4);
    assertThat(result.malformedToolCalls().get(0)).hasMessageContaining("not JSON");
    assertThat(result.malformedToolCalls().get(1)).hasMessageContaining("name");
    assertThat(result.malformedToolCalls().get(2)).hasMessageContaining("arguments");
    assertThat(result.malformedToolCalls().get(3)).hasMessageContaining("</tool_call>");
    assertThat(result.malformedToolCalls().get(3).rawText()).isEqualTo("{\"name\": \"cut");
    assertThatThrownBy(result::requireWellFormedToolCalls)
        .isInstanceOf(MalformedToolCallException.class);
  }

  @Test
  void handlesOutputWithoutThinking() {
    ParsedOutput result = Qwen3OutputParser.parse("Plain answer with <b>tags</b> and a < sign");
    assertThat(result.reasoning()).isEmpty();
    assertThat(result.content()).isEqualTo("Plain answer with <b>tags</b> and a < sign");
  }

  @Test
  void marksReasoningCutOffByTheTokenLimit() {
    ParsedOutput result = Qwen3OutputParser.parse("<think>\nstill thinking about");
    assertThat(result.reasoning()).isEqualTo("still thinking about");
    assertThat(result.reasoningUnfinished()).isTrue();
    assertThat(result.content()).isEmpty();
  }

  @Test
  void startsInReasoningWhenThePromptOpenedTheThinkBlock() {
    Qwen3OutputParser parser = new Qwen3OutputParser(true, i -> "id" + i);
    parser.accept("thought\n</think>\n\nanswer", (t, k) -> true);
    ParsedOutput result = parser.finish((t, k) -> true);
    assertThat(result.reasoning()).isEqualTo("thought");
    assertThat(result.content()).isEqualTo("answer");
  }

  @Test
  void stopsCallingTheListenerOnceItSaysStop() {
    Qwen3OutputParser parser = new Qwen3OutputParser();
    List<String> seen = new ArrayList<>();
    boolean goOn = parser.accept("one two", (t, k) -> seen.add(t) && false);
    assertThat(goOn).isFalse();
    assertThat(parser.accept(" three", (t, k) -> seen.add(t))).isFalse();
    assertThat(seen).containsExactly("one two");
  }
}
