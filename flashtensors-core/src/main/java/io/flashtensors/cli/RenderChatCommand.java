package io.flashtensors.cli;

import io.flashtensors.llm.ChatMessage;
import io.flashtensors.llm.chat.ChatTemplateException;
import io.flashtensors.llm.chat.HfChatFormat;
import io.flashtensors.llm.chat.Qwen3ChatTemplate;
import io.flashtensors.llm.tokenizer.TokenizerConfig;
import io.flashtensors.llm.tokenizer.TokenizerFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code flashtensors render-chat --tokenizer PATH --messages FILE.json [--no-think] [--tools
 * FILE.json]}: prints the prompt the chat template makes of a conversation, exactly (no newline is
 * added at the end).
 */
@Command(
    name = "render-chat",
    mixinStandardHelpOptions = true,
    description = "Prints the prompt the model's chat template renders for a conversation.")
public final class RenderChatCommand implements Callable<Integer> {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  @Spec CommandSpec spec;

  @Option(
      names = "--tokenizer",
      required = true,
      paramLabel = "PATH",
      description =
          "A tokenizer.json or a folder holding it; the chat template comes from"
              + " tokenizer_config.json (or chat_template.jinja) beside it.")
  Path tokenizer;

  @Option(
      names = "--messages",
      required = true,
      paramLabel = "FILE.json",
      description = "The conversation: [{\"role\": \"user\", \"content\": \"...\"}, ...].")
  Path messages;

  @Option(
      names = "--tools",
      paramLabel = "FILE.json",
      description = "Tools the model may call: [{\"type\": \"function\", \"function\": {...}}].")
  Path tools;

  @Option(names = "--no-think", description = "Ask the model to answer without reasoning.")
  boolean noThink;

  @Option(
      names = "--no-generation-prompt",
      description = "Leave out the start of the assistant's turn at the end.")
  boolean noGenerationPrompt;

  @Override
  public Integer call() {
    TokenizerConfig config = TokenizerConfig.load(TokenizerFiles.locate(tokenizer));
    Qwen3ChatTemplate template = Qwen3ChatTemplate.forConfig(config);
    List<ChatMessage> conversation;
    try {
      conversation = HfChatFormat.messages(readJson(messages));
    } catch (ChatTemplateException e) {
      throw new IllegalArgumentException(messages + ": " + e.getMessage(), e);
    }
    List<JsonNode> toolList;
    try {
      toolList = tools == null ? List.of() : HfChatFormat.tools(readJson(tools));
    } catch (ChatTemplateException e) {
      throw new IllegalArgumentException(tools + ": " + e.getMessage(), e);
    }
    String prompt = template.render(conversation, toolList, !noGenerationPrompt, !noThink);
    PrintWriter out = spec.commandLine().getOut();
    out.print(prompt);
    out.flush();
    return 0;
  }

  private static JsonNode readJson(Path file) {
    try {
      return JSON.readTree(Files.readString(file));
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException(file + ": no such file", e);
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage(), e);
    } catch (JacksonException e) {
      throw new IllegalArgumentException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
    }
  }
}
