package io.flashtensors.llm.tokenizer;

import java.nio.file.Path;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What a model's {@code tokenizer_config.json} (and {@code chat_template.jinja}) says beyond the
 * tokenizer itself: its named special tokens and its chat template.
 *
 * @param bosToken the beginning-of-sequence token, if any (Qwen: none)
 * @param eosToken the end-of-sequence token, if any (Qwen3 chat models: {@code <|im_end|>})
 * @param padToken the padding token, if any (Qwen: {@code <|endoftext|>})
 * @param addBosToken whether the model expects a BOS before every prompt
 * @param chatTemplate the Jinja chat template text, if any
 * @param source the file these came from, for error messages (empty when there was none)
 */
public record TokenizerConfig(
    Optional<String> bosToken,
    Optional<String> eosToken,
    Optional<String> padToken,
    boolean addBosToken,
    Optional<String> chatTemplate,
    String source) {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** The configuration of a model without tokenizer_config.json. */
  public static TokenizerConfig none() {
    return new TokenizerConfig(
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        false,
        Optional.empty(),
        "(no tokenizer_config.json)");
  }

  /**
   * Reads the configuration next to a tokenizer; a template in chat_template.jinja wins over one in
   * tokenizer_config.json, as in transformers.
   *
   * @throws TokenizerFormatException naming the file when it is not valid
   */
  public static TokenizerConfig load(TokenizerFiles files) {
    TokenizerConfig config = files.tokenizerConfig().map(TokenizerConfig::read).orElse(none());
    if (files.chatTemplate().isPresent()) {
      Path jinja = files.chatTemplate().get();
      config =
          new TokenizerConfig(
              config.bosToken,
              config.eosToken,
              config.padToken,
              config.addBosToken,
              Optional.of(TokenizerFiles.readText(jinja)),
              jinja.toString());
    }
    return config;
  }

  /** Reads a tokenizer_config.json. */
  public static TokenizerConfig read(Path file) {
    return parse(TokenizerFiles.readText(file), file.toString());
  }

  /** Parses the text of a tokenizer_config.json; {@code source} names it in errors. */
  public static TokenizerConfig parse(String json, String source) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JacksonException e) {
      throw new TokenizerFormatException(source + ": not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new TokenizerFormatException(source + ": expected a JSON object");
    }
    return new TokenizerConfig(
        tokenText(root, "bos_token", source),
        tokenText(root, "eos_token", source),
        tokenText(root, "pad_token", source),
        root.path("add_bos_token").asBoolean(false),
        chatTemplate(root, source),
        source);
  }

  /** Special tokens are written as a string or as an object with a {@code content} field. */
  private static Optional<String> tokenText(JsonNode root, String field, String source) {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      return Optional.empty();
    }
    if (node.isString()) {
      return Optional.of(node.stringValue());
    }
    if (node.isObject() && node.path("content").isString()) {
      return Optional.of(node.get("content").stringValue());
    }
    throw new TokenizerFormatException(
        source + ": " + field + " must be a string or an object with a content string");
  }

  /** A single template string, or a list of named ones of which "default" is used. */
  private static Optional<String> chatTemplate(JsonNode root, String source) {
    JsonNode node = root.get("chat_template");
    if (node == null || node.isNull()) {
      return Optional.empty();
    }
    if (node.isString()) {
      return Optional.of(node.stringValue());
    }
    if (node.isArray()) {
      for (JsonNode named : node) {
        if ("default".equals(named.path("name").asString(null))
            && named.path("template").isString()) {
          return Optional.of(named.get("template").stringValue());
        }
      }
      throw new TokenizerFormatException(
          source + ": chat_template is a list without a template named \"default\"");
    }
    throw new TokenizerFormatException(source + ": chat_template must be a string or a list");
  }
}
