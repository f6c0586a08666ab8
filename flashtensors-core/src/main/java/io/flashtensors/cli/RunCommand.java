package io.flashtensors.cli;

import io.flashtensors.FlashTensors;
import io.flashtensors.config.Setting;
import io.flashtensors.llm.ChatMessage;
import io.flashtensors.llm.ChatRequest;
import io.flashtensors.llm.SamplingOptions;
import io.flashtensors.llm.chat.ParsedOutput;
import io.flashtensors.llm.chat.Qwen3OutputParser;
import io.flashtensors.llm.generate.GenerationListener;
import io.flashtensors.llm.generate.GenerationResult;
import io.flashtensors.llm.qwen3.GenerationDefaults;
import io.flashtensors.llm.qwen3.Qwen3ChatEngine;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code flashtensors run MODEL [PROMPT]}: loads a Qwen3 model and generates, streaming the text
 * (or printing one JSON object with {@code --json}).
 */
@Command(
    name = "run",
    description = {
      "Loads a Qwen3 model and generates, streaming the text.",
      "MODEL is a store id (through the daemon when one runs: shared memory on the CPU, CUDA IPC on a GPU), a Hugging Face safetensors folder or a flash layout. Generates from a PROMPT (rendered with the model's chat template; needs tokenizer.json) or from token ids given with --input-ids. Load time and tokens/s go to stderr."
    })
final class RunCommand extends SettingsAware implements Callable<Integer> {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "MODEL",
      description = {
        "a model of the store (org/name, or org/name@revision), a model folder (safetensors or",
        "flash layout), or a safetensors file"
      })
  String model;

  @Mixin StorageOption storage;

  @Mixin EngineOptions engineOptions;

  @Parameters(
      index = "1",
      arity = "0..1",
      paramLabel = "PROMPT",
      description = "user message; needs the model's tokenizer")
  String prompt;

  @Option(
      names = "--max-tokens",
      paramLabel = "N",
      defaultValue = "256",
      description = "Most tokens to generate (default: ${DEFAULT-VALUE}).")
  int maxTokens;

  @Option(
      names = "--temperature",
      paramLabel = "T",
      description = "0 for greedy (default: generation_config.json's, else greedy).")
  Double temperature;

  @Option(
      names = "--top-p",
      paramLabel = "P",
      description = "Nucleus sampling mass (default: generation_config.json's, else 1).")
  Double topP;

  @Option(
      names = "--top-k",
      paramLabel = "K",
      description = "Keep the K most likely tokens; 0: all (default: generation_config.json's).")
  Integer topK;

  @Option(
      names = "--min-p",
      paramLabel = "P",
      description = "Drop tokens below P times the top probability (default: 0).")
  Double minP;

  @Option(
      names = "--presence-penalty",
      paramLabel = "X",
      description = "Subtracted from the logit of tokens already generated (default: 0).")
  Double presencePenalty;

  @Option(
      names = "--frequency-penalty",
      paramLabel = "X",
      description = "Subtracted per earlier occurrence of a generated token (default: 0).")
  Double frequencyPenalty;

  @Option(names = "--seed", paramLabel = "S", description = "Random seed (default: random).")
  Long seed;

  @Option(
      names = "--stop",
      paramLabel = "TEXT",
      description = "Stop sequence (repeatable); not part of the output. Needs a tokenizer.")
  List<String> stop = new ArrayList<>();

  @Option(
      names = "--no-think",
      description = "Chat prompt without thinking (enable_thinking=false).")
  boolean noThink;

  @Option(names = "--json", description = "Print one JSON object instead of streaming text.")
  boolean json;

  @Option(
      names = "--input-ids",
      paramLabel = "IDS",
      split = ",",
      description = "Prompt as token ids (comma-separated), fed as they are (no chat template).")
  int[] inputIds;

  @Option(
      names = "--dump-logits",
      description =
          "With --json: add prompt_last_logits (float32 logits at the last prompt token).")
  boolean dumpLogits;

  @Override
  protected void addFlags(Map<Setting, String> flags) {
    storage.addTo(flags);
  }

  @Override
  public Integer call() throws Exception {
    if ((prompt == null) == (inputIds == null)) {
      throw new IllegalArgumentException(
          "give either a PROMPT or --input-ids, not both or neither");
    }
    if (dumpLogits && !json) {
      throw new IllegalArgumentException("--dump-logits needs --json");
    }
    engineOptions.check();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    SamplingOptions options =
        new SamplingOptions(
            maxTokens,
            temperature,
            topK,
            topP,
            minP,
            presencePenalty,
            frequencyPenalty,
            seed,
            stop);
    GenerationDefaults.validate(options);
    FlashTensors.Opened opened =
        engineOptions.open(resolver(), settings().storagePath(), model, err);
    try (Qwen3ChatEngine engine = opened.engine()) {
      int[] ids;
      if (prompt != null) {
        if (engine.tokenizer() == null) {
          throw new IllegalArgumentException(
              engine.model().folder() + " has no tokenizer.json: give the prompt as --input-ids");
        }
        ChatRequest request =
            new ChatRequest(List.of(ChatMessage.user(prompt)), List.of(), !noThink, options);
        ids = engine.promptIds(request);
      } else {
        if (inputIds.length == 0) {
          throw new IllegalArgumentException("--input-ids is empty");
        }
        ids = inputIds;
      }
      GenerationListener listener =
          json
              ? GenerationListener.none()
              : (id, text) -> {
                out.print(text);
                out.flush();
                return true;
              };
      GenerationResult result = engine.generate(ids, options, listener);
      double tokensPerSecond = result.timings().decodeTokensPerSecond();
      if (json) {
        out.println(JSON.writeValueAsString(report(engine, result, tokensPerSecond)));
      } else {
        out.println();
        err.println(opened.how());
        err.printf(
            Locale.ROOT,
            "load %.3f s; prompt %d tokens in %.3f s; %d tokens, %.2f tokens/s; finish %s%n",
            engine.model().loadSeconds(),
            result.promptTokens(),
            result.timings().prefillNanos() / 1e9,
            result.completionTokens(),
            tokensPerSecond,
            result.finishReason().name().toLowerCase(Locale.ROOT));
      }
      out.flush();
      err.flush();
    }
    return 0;
  }

  private ObjectNode report(
      Qwen3ChatEngine engine, GenerationResult result, double tokensPerSecond) {
    ObjectNode o = JSON.createObjectNode();
    ArrayNode ids = o.putArray("output_ids");
    for (int id : result.outputIds()) {
      ids.add(id);
    }
    if (engine.tokenizer() != null) {
      o.put("text", result.text());
      if (prompt != null) {
        ParsedOutput parsed = Qwen3OutputParser.parse(result.text());
        o.put("reasoning", parsed.reasoning());
        o.put("content", parsed.content());
      }
    }
    o.put("prompt_tokens", result.promptTokens());
    o.put("completion_tokens", result.completionTokens());
    o.put("finish_reason", result.finishReason().name().toLowerCase(Locale.ROOT));
    o.put("load_seconds", engine.model().loadSeconds());
    o.put("prefill_seconds", result.timings().prefillNanos() / 1e9);
    o.put("tokens_per_second", tokensPerSecond);
    o.put("seed", result.seed());
    o.put("device", engine.descriptor().device());
    if (dumpLogits) {
      ArrayNode logits = o.putArray("prompt_last_logits");
      for (float f : result.promptLastLogits()) {
        logits.add(f);
      }
    }
    return o;
  }
}
