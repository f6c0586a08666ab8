package io.flashtensors.cli;

import io.flashtensors.FlashTensors;
import io.flashtensors.config.Setting;
import io.flashtensors.llm.ChatMessage;
import io.flashtensors.llm.ChatRequest;
import io.flashtensors.llm.ChatResult;
import io.flashtensors.llm.SamplingOptions;
import io.flashtensors.llm.TokenListener;
import io.flashtensors.llm.qwen3.GenerationDefaults;
import io.flashtensors.llm.qwen3.Qwen3ChatEngine;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code flashtensors chat MODEL}: an interactive chat that keeps the history. */
@Command(
    name = "chat",
    description = {
      "Chats with a Qwen3 model on the terminal, keeping the conversation.",
      "Each line you type is a user message; the answer streams back. /reset starts over, /exit (or end of input) quits. Loads through the daemon when one runs, as `run` does."
    })
final class ChatCommand extends SettingsAware implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "MODEL",
      description = "Store id (org/name) or model folder.")
  String model;

  @Option(names = "--system", description = "A system message that opens the conversation.")
  String system;

  @Option(names = "--no-think", description = "Answer without thinking (enable_thinking=false).")
  boolean noThink;

  @Option(names = "--show-thinking", description = "Print the model's reasoning too (dimmed).")
  boolean showThinking;

  @Option(
      names = "--max-tokens",
      defaultValue = "1024",
      description = "Most tokens per answer (default: ${DEFAULT-VALUE}).")
  int maxTokens;

  @Option(names = "--temperature", description = "Sampling temperature (default: the model's).")
  Double temperature;

  @Option(names = "--top-p", description = "Nucleus sampling mass (default: the model's).")
  Double topP;

  @Option(names = "--top-k", description = "Top-k sampling (default: the model's).")
  Integer topK;

  @Option(names = "--seed", description = "Random seed.")
  Long seed;

  @Mixin EngineOptions engineOptions;

  @Mixin StorageOption storage;

  @Override
  protected void addFlags(Map<Setting, String> flags) {
    storage.addTo(flags);
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    SamplingOptions sampling =
        new SamplingOptions(maxTokens, temperature, topK, topP, null, null, null, seed, List.of());
    GenerationDefaults.validate(sampling);
    engineOptions.check();
    FlashTensors.Opened opened =
        engineOptions.open(resolver(), settings().storagePath(), model, err);
    err.println(opened.how());
    err.println("type a message; /reset clears the conversation, /exit quits");
    err.flush();
    boolean terminal = System.console() != null && System.console().isTerminal();
    List<ChatMessage> history = new ArrayList<>();
    if (system != null) {
      history.add(ChatMessage.system(system));
    }
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    try (Qwen3ChatEngine engine = opened.engine()) {
      while (true) {
        out.print(terminal ? "\u001b[1m> \u001b[0m" : "> ");
        out.flush();
        String line = in.readLine();
        if (line == null || line.strip().equals("/exit") || line.strip().equals("/quit")) {
          out.println();
          break;
        }
        if (line.isBlank()) {
          continue;
        }
        if (line.strip().equals("/reset")) {
          history.removeIf(m -> m.role() != ChatMessage.Role.SYSTEM);
          err.println("(conversation cleared)");
          err.flush();
          continue;
        }
        history.add(ChatMessage.user(line));
        ChatResult result =
            engine.chat(
                new ChatRequest(history, List.of(), !noThink, sampling), printer(out, terminal));
        out.println();
        out.flush();
        history.add(ChatMessage.assistant(result.content()));
        err.printf(
            Locale.ROOT,
            "(%d tokens, %.1f tokens/s, %s)%n",
            result.completionTokens(),
            result.timings().decodeTokensPerSecond(),
            result.finishReason().name().toLowerCase(Locale.ROOT));
        err.flush();
      }
    }
    return 0;
  }

  private TokenListener printer(PrintWriter out, boolean terminal) {
    return (piece, kind) -> {
      if (kind == TokenListener.PieceKind.REASONING) {
        if (showThinking) {
          out.print(terminal ? "\u001b[2m" + piece + "\u001b[0m" : piece);
        }
      } else {
        out.print(piece);
      }
      out.flush();
      return true;
    };
  }
}
