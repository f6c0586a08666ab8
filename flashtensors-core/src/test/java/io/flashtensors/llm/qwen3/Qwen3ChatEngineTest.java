package io.flashtensors.llm.qwen3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flashtensors.llm.ChatMessage;
import io.flashtensors.llm.ChatRequest;
import io.flashtensors.llm.ChatResult;
import io.flashtensors.llm.FinishReason;
import io.flashtensors.llm.SamplingOptions;
import io.flashtensors.llm.TokenListener.PieceKind;
import io.flashtensors.llm.ToolDefinition;
import io.flashtensors.llm.generate.ForwardPass;
import io.flashtensors.llm.generate.GenerationListener;
import io.flashtensors.llm.generate.GenerationResult;
import io.flashtensors.llm.generate.ModelBackend;
import io.flashtensors.llm.tokenizer.Tokenizer;
import io.flashtensors.llm.tokenizer.TokenizerConfig;
import io.flashtensors.llm.tokenizer.TokenizerFiles;
import io.flashtensors.load.FlashLoader;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The chat engine end to end on the 2-layer model with the real Qwen3 vocabulary and tokenizer:
 * template, tokenizer, forward pass and decoder together against transformers.
 */
class Qwen3ChatEngineTest {

  private static Qwen3ChatEngine engine;
  private static Tokenizer tokenizer;
  private static final Path MODEL = Fixtures.tinyRandomModel();

  @BeforeAll
  static void open() throws IOException {
    engine = Qwen3ChatEngine.openCpu(MODEL, FlashLoader.create(), 4096, 2);
    tokenizer = engine.tokenizer();
  }

  @AfterAll
  static void close() {
    engine.close();
  }

  @Test
  void promptIdsGreedyTokensTextAndLogitsMatchTransformers() {
    JsonNode reference = Fixtures.json(MODEL.resolve("reference.json"));
    try (Arena arena = Arena.ofConfined()) {
      var logits = Fixtures.readSafetensors(MODEL.resolve("reference.safetensors"), arena);
      for (JsonNode p : reference.get("prompts")) {
        List<ChatMessage> messages = new ArrayList<>();
        for (JsonNode m : p.get("messages")) {
          String content = m.get("content").asString();
          messages.add(
              m.get("role").asString().equals("system")
                  ? ChatMessage.system(content)
                  : ChatMessage.user(content));
        }
        ChatRequest request =
            new ChatRequest(
                messages,
                List.of(),
                p.get("enable_thinking").asBoolean(),
                SamplingOptions.greedy(24));
        assertThat(engine.renderPrompt(request)).isEqualTo(p.get("rendered").asString());
        int[] ids = engine.promptIds(request);
        assertThat(ids).isEqualTo(Fixtures.ints(p.get("input_ids")));

        GenerationResult result =
            engine.generate(ids, SamplingOptions.greedy(24), GenerationListener.none());
        assertThat(result.outputIds()).isEqualTo(Fixtures.ints(p.get("greedy_ids")));
        assertThat(result.text()).isEqualTo(p.get("greedy_text").asString());
        float[] want = Fixtures.floats(logits.get(p.get("last_logits_tensor").asString()));
        double max = 0;
        double err = 0;
        for (int i = 0; i < want.length; i++) {
          max = Math.max(max, Math.abs(want[i]));
          err = Math.max(err, Math.abs(result.promptLastLogits()[i] - want[i]));
        }
        assertThat(err).isLessThanOrEqualTo(1e-3 * max);
      }
    }
  }

  @Test
  void chatStreamsPiecesThatAddUpToTheResult() {
    StringBuilder streamed = new StringBuilder();
    ChatResult r =
        engine.chat(
            new ChatRequest(
                List.of(ChatMessage.user("Hi")), List.of(), false, SamplingOptions.greedy(10)),
            (piece, kind) -> {
              streamed.append(piece);
              return true;
            });
    assertThat(r.completionTokens()).isEqualTo(10);
    assertThat(r.outputIds()).hasSize(10);
    assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
    assertThat(streamed.toString()).isEqualTo(r.reasoning() + r.content());
    assertThat(r.promptTokens())
        .isEqualTo(
            engine.promptIds(
                    new ChatRequest(List.of(ChatMessage.user("Hi")), List.of(), false, null))
                .length);
    assertThat(r.timings().decodedTokens()).isEqualTo(9);
  }

  @Test
  void listenerReturningFalseCancels() {
    int[] calls = new int[1];
    ChatResult r =
        engine.chat(
            new ChatRequest(
                List.of(ChatMessage.user("Hi")), List.of(), false, SamplingOptions.greedy(50)),
            (piece, kind) -> ++calls[0] < 2);
    assertThat(r.finishReason()).isEqualTo(FinishReason.CANCELLED);
    assertThat(r.completionTokens()).isLessThan(50);
  }

  @Test
  void descriptorDescribesTheModel() {
    var d = engine.descriptor();
    assertThat(d.architecture()).isEqualTo("Qwen3ForCausalLM");
    assertThat(d.device()).isEqualTo("cpu");
    assertThat(d.contextLength()).isEqualTo(4096);
    assertThat(d.parameterBytes()).isEqualTo(engine.model().weights().parameterBytes());
    assertThat(engine.stopTokens()).contains(151645, 151643);
  }

  @Test
  void samplingIsReproducibleWithASeed() {
    SamplingOptions options =
        new SamplingOptions(12, 0.9, 40, 0.95, 0.0, 0.2, 0.1, 1234L, List.of());
    ChatRequest request =
        new ChatRequest(List.of(ChatMessage.user("Tell me a story")), List.of(), true, options);
    assertThat(engine.chat(request, (p, k) -> true).outputIds())
        .isEqualTo(engine.chat(request, (p, k) -> true).outputIds());
  }

  /** A backend whose model "says" a fixed token sequence, to test output handling. */
  record ScriptedBackend(int vocab, int[] script) implements ModelBackend {
    @Override
    public String device() {
      return "script";
    }

    @Override
    public ForwardPass newForwardPass(int contextLength) {
      return new ForwardPass() {
        int position;
        int said;
        final float[] logits = new float[vocab];

        @Override
        public int vocabSize() {
          return vocab;
        }

        @Override
        public int contextLength() {
          return contextLength;
        }

        @Override
        public int position() {
          return position;
        }

        @Override
        public void forward(int[] tokens, int offset, int length) {
          position += length;
          Arrays.fill(logits, 0);
          logits[script[Math.min(said++, script.length - 1)]] = 1;
        }

        @Override
        public void forwardAllLogits(int[] t, int o, int l, float[] out) {
          throw new UnsupportedOperationException();
        }

        @Override
        public float[] logits() {
          return logits;
        }

        @Override
        public void truncate(int p) {
          position = p;
        }

        @Override
        public void close() {}
      };
    }

    @Override
    public void close() {}
  }

  @Test
  void toolCallsEndWithFinishReasonToolCalls() throws IOException {
    String said =
        "<think>\nThe user wants weather.\n</think>\n\n<tool_call>\n"
            + "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";
    int[] saidIds = tokenizer.encode(said);
    int[] script = Arrays.copyOf(saidIds, saidIds.length + 1);
    script[saidIds.length] = tokenizer.requireTokenId("<|im_end|>");
    Qwen3Model model = Qwen3Model.load(MODEL, FlashLoader.create());
    try (Qwen3ChatEngine scripted =
        new Qwen3ChatEngine(
            model,
            new ScriptedBackend(model.config().vocabSize(), script),
            tokenizer,
            TokenizerConfig.load(TokenizerFiles.locate(MODEL)),
            4096)) {
      List<PieceKind> kinds = new ArrayList<>();
      ChatResult r =
          scripted.chat(
              new ChatRequest(
                  List.of(ChatMessage.user("Weather in Paris?")),
                  List.of(new ToolDefinition("get_weather", "Current weather", null)),
                  true,
                  SamplingOptions.greedy(100)),
              (piece, kind) -> kinds.add(kind));
      assertThat(r.finishReason()).isEqualTo(FinishReason.TOOL_CALLS);
      assertThat(r.reasoning()).isEqualTo("The user wants weather.");
      assertThat(r.content()).isEmpty();
      assertThat(r.toolCalls()).hasSize(1);
      assertThat(r.toolCalls().getFirst().name()).isEqualTo("get_weather");
      assertThat(r.toolCalls().getFirst().argumentsJson()).isEqualTo("{\"city\": \"Paris\"}");
      assertThat(kinds).contains(PieceKind.REASONING, PieceKind.TOOL_CALL);
      assertThat(r.outputIds().getLast()).isEqualTo(tokenizer.requireTokenId("<|im_end|>"));
    }
  }

  @Test
  void stopSequencesCutTheAnswer() throws IOException {
    int[] script = tokenizer.encode("Paris is lovely. END of answer");
    Qwen3Model model = Qwen3Model.load(MODEL, FlashLoader.create());
    try (Qwen3ChatEngine scripted =
        new Qwen3ChatEngine(
            model,
            new ScriptedBackend(model.config().vocabSize(), script),
            tokenizer,
            TokenizerConfig.load(TokenizerFiles.locate(MODEL)),
            4096)) {
      ChatResult r =
          scripted.chat(
              new ChatRequest(
                  List.of(ChatMessage.user("?")),
                  List.of(),
                  false,
                  new SamplingOptions(
                      50, 0.0, null, null, null, null, null, null, List.of(" END"))),
              (piece, kind) -> true);
      assertThat(r.content()).isEqualTo("Paris is lovely.");
      assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
    }
  }

  @Test
  void refusesPromptsLongerThanTheContext() throws IOException {
    try (Qwen3ChatEngine small = Qwen3ChatEngine.openCpu(MODEL, FlashLoader.create(), 8, 1)) {
      assertThatThrownBy(
              () ->
                  small.chat(
                      new ChatRequest(
                          List.of(ChatMessage.user("Hello there, how are you?")),
                          List.of(),
                          true,
                          null),
                      (p, k) -> true))
          .hasMessageContaining("the context holds 8");
    }
  }
}
