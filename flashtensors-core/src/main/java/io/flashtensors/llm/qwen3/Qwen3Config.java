package io.flashtensors.llm.qwen3;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The shape of a Qwen3 model, read from {@code config.json}. Every size comes from the file; where
 * a key is absent the value is the default of transformers' {@code Qwen3Config}, so that a file
 * means the same here as there.
 *
 * <p>Both forms real checkpoints use are read: transformers 4.x (top-level {@code rope_theta} and
 * {@code rope_scaling}, {@code torch_dtype}) and 5.x ({@code rope_parameters} holding {@code
 * rope_type} and {@code rope_theta}, {@code dtype}).
 *
 * @param architecture the architecture name ({@code Qwen3ForCausalLM})
 * @param vocabSize rows of the embedding and LM head
 * @param hiddenSize width of the residual stream
 * @param intermediateSize width of the MLP
 * @param numLayers decoder layers
 * @param numHeads query heads
 * @param numKvHeads key/value heads (GQA: each serves {@code numHeads / numKvHeads} query heads)
 * @param headDim width of one head (may differ from {@code hiddenSize / numHeads})
 * @param rmsNormEps epsilon of every RMSNorm
 * @param ropeTheta RoPE base
 * @param ropeScaling RoPE scaling (type default when none)
 * @param maxPositionEmbeddings longest context the model was configured for
 * @param tieWordEmbeddings whether the LM head reuses the embedding matrix
 * @param bosTokenId beginning-of-sequence token, or -1
 * @param eosTokenIds end-of-sequence tokens (config.json allows one or a list)
 * @param dtype the checkpoint's declared dtype ({@code dtype} or {@code torch_dtype}), or null
 */
public record Qwen3Config(
    String architecture,
    int vocabSize,
    int hiddenSize,
    int intermediateSize,
    int numLayers,
    int numHeads,
    int numKvHeads,
    int headDim,
    float rmsNormEps,
    double ropeTheta,
    RopeScaling ropeScaling,
    int maxPositionEmbeddings,
    boolean tieWordEmbeddings,
    int bosTokenId,
    List<Integer> eosTokenIds,
    String dtype) {

  /** The only architecture this engine runs. */
  public static final String ARCHITECTURE = "Qwen3ForCausalLM";

  private static final JsonMapper JSON = JsonMapper.builder().build();

  public Qwen3Config {
    eosTokenIds = List.copyOf(eosTokenIds);
    check(vocabSize > 0, "vocab_size must be positive, not " + vocabSize);
    check(hiddenSize > 0, "hidden_size must be positive, not " + hiddenSize);
    check(intermediateSize > 0, "intermediate_size must be positive, not " + intermediateSize);
    check(numLayers > 0, "num_hidden_layers must be positive, not " + numLayers);
    check(numHeads > 0, "num_attention_heads must be positive, not " + numHeads);
    check(numKvHeads > 0, "num_key_value_heads must be positive, not " + numKvHeads);
    check(
        numHeads % numKvHeads == 0,
        "num_attention_heads (%d) must be a multiple of num_key_value_heads (%d)"
            .formatted(numHeads, numKvHeads));
    check(headDim > 0 && headDim % 2 == 0, "head_dim must be positive and even, not " + headDim);
    check(ropeTheta > 0, "rope_theta must be positive, not " + ropeTheta);
    check(rmsNormEps > 0, "rms_norm_eps must be positive, not " + rmsNormEps);
    check(maxPositionEmbeddings > 0, "max_position_embeddings must be positive");
  }

  /** Query heads that share one key/value head. */
  public int groupSize() {
    return numHeads / numKvHeads;
  }

  /** Width of all query heads together: the q_proj output, the o_proj input. */
  public int queryDim() {
    return numHeads * headDim;
  }

  /** Width of all key (or value) heads together. */
  public int kvDim() {
    return numKvHeads * headDim;
  }

  /** Reads {@code config.json} of a model folder (or the file itself). */
  public static Qwen3Config read(Path path) {
    Path file = Files.isDirectory(path) ? path.resolve("config.json") : path;
    JsonNode root;
    try {
      root = JSON.readTree(Files.readString(file));
    } catch (NoSuchFileException e) {
      throw new Qwen3ConfigException(file + ": not found (a Qwen3 model folder needs config.json)");
    } catch (IOException e) {
      throw new Qwen3ConfigException(file + ": cannot read: " + e.getMessage(), e);
    } catch (JacksonException e) {
      throw new Qwen3ConfigException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
    }
    try {
      return parse(root);
    } catch (Qwen3ConfigException e) {
      throw new Qwen3ConfigException(file + ": " + e.getMessage(), e);
    }
  }

  /** Reads a parsed {@code config.json}. */
  public static Qwen3Config parse(JsonNode root) {
    if (root == null || !root.isObject()) {
      throw new Qwen3ConfigException("config must be a JSON object");
    }
    String architecture = architecture(root);
    String modelType = text(root, "model_type", null);
    if (!ARCHITECTURE.equals(architecture)) {
      throw new Qwen3ConfigException(
          "unsupported architecture "
              + (architecture == null ? "(none; model_type " + modelType + ")" : architecture)
              + "; this engine runs "
              + ARCHITECTURE);
    }
    if (!text(root, "hidden_act", "silu").equals("silu")) {
      throw new Qwen3ConfigException(
          "unsupported hidden_act '" + text(root, "hidden_act", "") + "' (Qwen3 uses silu)");
    }
    if (bool(root, "attention_bias", false)) {
      throw new Qwen3ConfigException("attention_bias=true is not supported (Qwen3 has none)");
    }
    if (bool(root, "use_sliding_window", false)) {
      throw new Qwen3ConfigException("use_sliding_window=true is not supported");
    }
    int numHeads = requiredInt(root, "num_attention_heads");
    int hidden = requiredInt(root, "hidden_size");
    JsonNode ropeParameters = root.get("rope_parameters");
    JsonNode ropeScaling = root.get("rope_scaling");
    // transformers 5.x nests theta in rope_parameters; 4.x keeps it top-level. When both are
    // present rope_parameters wins, as in transformers' standardize_rope_params.
    double theta = number(root, "rope_theta", 10_000.0);
    JsonNode ropeNode = null;
    if (ropeParameters != null && ropeParameters.isObject() && !ropeParameters.isEmpty()) {
      theta = number(ropeParameters, "rope_theta", theta);
      ropeNode = ropeParameters;
    } else if (ropeScaling != null && ropeScaling.isObject()) {
      ropeNode = ropeScaling;
    }
    int maxPositions = intOr(root, "max_position_embeddings", 32_768);
    return new Qwen3Config(
        architecture,
        requiredInt(root, "vocab_size"),
        hidden,
        requiredInt(root, "intermediate_size"),
        requiredInt(root, "num_hidden_layers"),
        numHeads,
        intOr(root, "num_key_value_heads", numHeads),
        // transformers' Qwen3Config declares head_dim = 128 as its default.
        intOr(root, "head_dim", 128),
        (float) number(root, "rms_norm_eps", 1e-6),
        theta,
        ropeScaling(ropeNode, maxPositions),
        maxPositions,
        bool(root, "tie_word_embeddings", false),
        intOr(root, "bos_token_id", -1),
        tokenIds(root.get("eos_token_id"), "eos_token_id"),
        text(root, "dtype", text(root, "torch_dtype", null)));
  }

  private static String architecture(JsonNode root) {
    JsonNode archs = root.get("architectures");
    if (archs != null && archs.isArray() && !archs.isEmpty()) {
      return archs.get(0).asString();
    }
    return "qwen3".equals(text(root, "model_type", null)) ? ARCHITECTURE : null;
  }

  private static RopeScaling ropeScaling(JsonNode node, int maxPositions) {
    if (node == null) {
      return RopeScaling.NONE;
    }
    String name = text(node, "rope_type", text(node, "type", "default"));
    RopeScaling.Type type = RopeScaling.Type.fromName(name);
    if (type == null) {
      throw new Qwen3ConfigException(
          "unsupported rope_type '" + name + "' (supported: default, linear, yarn)");
    }
    double partial = number(node, "partial_rotary_factor", 1.0);
    if (partial != 1.0) {
      throw new Qwen3ConfigException("partial_rotary_factor " + partial + " is not supported");
    }
    if (type == RopeScaling.Type.DEFAULT) {
      return RopeScaling.NONE;
    }
    JsonNode factorNode = node.get("factor");
    int original = intOr(node, "original_max_position_embeddings", maxPositions);
    double factor;
    if (factorNode != null && factorNode.isNumber()) {
      factor = factorNode.asDouble();
    } else if (type == RopeScaling.Type.YARN) {
      factor = (double) maxPositions / original;
    } else {
      throw new Qwen3ConfigException("rope_type '" + name + "' needs a numeric factor");
    }
    if (!(factor > 0)) {
      throw new Qwen3ConfigException("rope factor must be positive, not " + factor);
    }
    return new RopeScaling(
        type,
        factor,
        original,
        number(node, "attention_factor", Double.NaN),
        nonZero(number(node, "beta_fast", 32), 32),
        nonZero(number(node, "beta_slow", 1), 1),
        number(node, "mscale", 0),
        number(node, "mscale_all_dim", 0),
        bool(node, "truncate", true));
  }

  private static double nonZero(double value, double fallback) {
    return value == 0 ? fallback : value;
  }

  /** An id or a list of ids ({@code eos_token_id} may be either); empty when absent or null. */
  static List<Integer> tokenIds(JsonNode node, String key) {
    List<Integer> ids = new ArrayList<>();
    if (node == null || node.isNull()) {
      return ids;
    }
    if (node.isIntegralNumber()) {
      ids.add(node.asInt());
      return ids;
    }
    if (node.isArray()) {
      for (JsonNode id : node) {
        if (!id.isIntegralNumber()) {
          throw new Qwen3ConfigException(key + " must hold integers, found " + id);
        }
        ids.add(id.asInt());
      }
      return ids;
    }
    throw new Qwen3ConfigException(key + " must be an integer or a list of integers, not " + node);
  }

  private static int requiredInt(JsonNode root, String key) {
    JsonNode node = root.get(key);
    if (node == null || node.isNull()) {
      throw new Qwen3ConfigException("missing " + key);
    }
    if (!node.isIntegralNumber()) {
      throw new Qwen3ConfigException(key + " must be an integer, not " + node);
    }
    return node.asInt();
  }

  static int intOr(JsonNode root, String key, int fallback) {
    JsonNode node = root.get(key);
    if (node == null || node.isNull()) {
      return fallback;
    }
    if (!node.isIntegralNumber()) {
      throw new Qwen3ConfigException(key + " must be an integer, not " + node);
    }
    return node.asInt();
  }

  static double number(JsonNode root, String key, double fallback) {
    JsonNode node = root.get(key);
    if (node == null || node.isNull()) {
      return fallback;
    }
    if (!node.isNumber()) {
      throw new Qwen3ConfigException(key + " must be a number, not " + node);
    }
    return node.asDouble();
  }

  static boolean bool(JsonNode root, String key, boolean fallback) {
    JsonNode node = root.get(key);
    if (node == null || node.isNull()) {
      return fallback;
    }
    if (!node.isBoolean()) {
      throw new Qwen3ConfigException(key + " must be true or false, not " + node);
    }
    return node.asBoolean();
  }

  static String text(JsonNode root, String key, String fallback) {
    JsonNode node = root.get(key);
    return node == null || node.isNull() ? fallback : node.asString();
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new Qwen3ConfigException(message);
    }
  }
}
