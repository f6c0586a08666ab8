package io.flashtensors.llm.qwen3;

import io.flashtensors.llm.SamplingOptions;
import io.flashtensors.llm.generate.SamplingParams;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.random.RandomGenerator;
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

  /**
   * Sampling settings for a request: each option the request sets wins; otherwise the file's value;
   * otherwise the engine's default. The default temperature is the file's when it says {@code
   * do_sample: true} (1.0 if it gives none) and 0 (greedy) otherwise, as in transformers; top-k,
   * top-p and min-p default to the file's values and else to off; penalties to 0; the seed to a
   * random one.
   */
  public SamplingParams samplingParams(SamplingOptions options) {
    boolean sample = Boolean.TRUE.equals(doSample);
    double t =
        options.temperature() != null
            ? options.temperature()
            : sample ? (temperature != null ? temperature : 1.0) : 0.0;
    int k = options.topK() != null ? options.topK() : topK != null ? topK : 0;
    return new SamplingParams(
        t,
        Math.max(0, k),
        options.topP() != null ? options.topP() : topP != null ? topP : 1.0,
        options.minP() != null ? options.minP() : minP != null ? minP : 0.0,
        options.presencePenalty() != null ? options.presencePenalty() : 0.0,
        options.frequencyPenalty() != null ? options.frequencyPenalty() : 0.0,
        options.seed() != null ? options.seed() : RandomGenerator.getDefault().nextLong());
  }

  /**
   * Checks the values a request sets, with the messages a generation would fail with, so that a
   * caller can refuse bad options before it loads a model.
   *
   * @throws IllegalArgumentException naming the first bad value
   */
  public static void validate(SamplingOptions options) {
    if (options.maxTokens() != null && options.maxTokens() < 1) {
      throw new IllegalArgumentException(
          "max tokens must be at least 1, not " + options.maxTokens());
    }
    new SamplingParams(
        options.temperature() != null ? options.temperature() : 0.0,
        options.topK() != null ? Math.max(0, options.topK()) : 0,
        options.topP() != null ? options.topP() : 1.0,
        options.minP() != null ? options.minP() : 0.0,
        options.presencePenalty() != null ? options.presencePenalty() : 0.0,
        options.frequencyPenalty() != null ? options.frequencyPenalty() : 0.0,
        0);
  }

  /**
   * Most tokens to generate: the request's limit, else the file's {@code max_new_tokens}, else what
   * is left of the context.
   */
  public int maxTokens(SamplingOptions options, int promptTokens, int contextLength) {
    int left = contextLength - promptTokens;
    if (options.maxTokens() != null) {
      if (options.maxTokens() < 1) {
        throw new IllegalArgumentException(
            "max tokens must be at least 1, not " + options.maxTokens());
      }
      return Math.min(options.maxTokens(), Math.max(left, 1));
    }
    return Math.max(1, maxNewTokens != null ? Math.min(maxNewTokens, left) : left);
  }

  private static Double doubleOrNull(JsonNode root, String key) {
    JsonNode node = root.get(key);
    return node == null || node.isNull() ? null : Qwen3Config.number(root, key, 0);
  }
}
