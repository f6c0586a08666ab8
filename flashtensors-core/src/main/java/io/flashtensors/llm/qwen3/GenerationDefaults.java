package io.flashtensors.llm.qwen3;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Defaults of generation a model ships in {@code generation_config.json}. Every field is null when
 * the file does not set it.
 *
 * @param doSample whether the model's authors sample (false or absent: greedy by default)
 * @param temperature default temperature
 * @param topK default top-k
 * @param topP default top-p
 * @param minP default min-p
 * @param maxNewTokens default limit of generated tokens
 * @param eosTokenIds stop tokens (an id or a list in the file)
 */
public record GenerationDefaults(
    Boolean doSample,
    Double temperature,
    Integer topK,
    Double topP,
    Double minP,
    Integer maxNewTokens,
    List<Integer> eosTokenIds) {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** No defaults (a model folder without generation_config.json). */
  public static final GenerationDefaults NONE =
      new GenerationDefaults(null, null, null, null, null, null, List.of());

  public GenerationDefaults {
    eosTokenIds = List.copyOf(eosTokenIds);
  }

  /** Reads {@code generation_config.json} of a model folder; {@link #NONE} when it has none. */
  public static GenerationDefaults read(Path modelDir) {
    Path file = modelDir.resolve("generation_config.json");
    if (!Files.isRegularFile(file)) {
      return NONE;
    }
    try {
      return parse(JSON.readTree(Files.readString(file)));
    } catch (IOException e) {
      throw new Qwen3ConfigException(file + ": cannot read: " + e.getMessage(), e);
    } catch (JacksonException e) {
      throw new Qwen3ConfigException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
    } catch (Qwen3ConfigException e) {
      throw new Qwen3ConfigException(file + ": " + e.getMessage(), e);
    }
  }

  /** Reads a parsed {@code generation_config.json}. */
  public static GenerationDefaults parse(JsonNode root) {
    if (root == null || !root.isObject()) {
      throw new Qwen3ConfigException("generation config must be a JSON object");
    }
    return new GenerationDefaults(
        root.has("do_sample") ? Qwen3Config.bool(root, "do_sample", false) : null,
        doubleOrNull(root, "temperature"),
        root.has("top_k") && !root.get("top_k").isNull()
            ? Qwen3Config.intOr(root, "top_k", 0)
            : null,
        doubleOrNull(root, "top_p"),
        doubleOrNull(root, "min_p"),
        root.has("max_new_tokens") && !root.get("max_new_tokens").isNull()
            ? Qwen3Config.intOr(root, "max_new_tokens", 0)
            : null,
        Qwen3Config.tokenIds(root.get("eos_token_id"), "eos_token_id"));
  }

  /** The stop tokens of a model: those of generation_config.json, then those of config.json. */
  public static Set<Integer> stopTokens(Qwen3Config config, GenerationDefaults defaults) {
    Set<Integer> ids = new LinkedHashSet<>(defaults.eosTokenIds());
    ids.addAll(config.eosTokenIds());
    return ids;
  }

  private static Double doubleOrNull(JsonNode root, String key) {
    JsonNode node = root.get(key);
    return node == null || node.isNull() ? null : Qwen3Config.number(root, key, 0);
  }
}
