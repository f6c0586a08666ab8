package io.flashtensors.llm.tokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Builds a {@link Tokenizer} from tokenizer.json. Every pipeline stage is read from the file; a
 * stage type or option this implementation does not reproduce exactly is refused with a message
 * naming it, rather than tokenizing differently from Hugging Face without a word.
 */
final class TokenizerJsonReader {

  /** Pre-tokens remembered by the BPE cache (Hugging Face keeps 10,000). */
  private static final int CACHE_CAPACITY = 100_000;

  /** GPT-2's split regex, which the ByteLevel pre-tokenizer applies when use_regex is true. */
  static final String GPT2_PATTERN =
      "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

  /** Reads sections in the middle of the stream, so what follows a section is not an error. */
  private static final JsonMapper JSON =
      JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

  private final String source;
  private final int cacheCapacity;
  private boolean byteLevelPreTokenizer;
  private Map<String, Integer> vocab;
  private List<String[]> mergePairs;

  private TokenizerJsonReader(String source, int cacheCapacity) {
    this.source = source;
    this.cacheCapacity = cacheCapacity;
  }

  static Tokenizer read(Path file) {
    return read(file, CACHE_CAPACITY);
  }

  /** For benchmarks: {@code cacheCapacity} 0 makes every pre-token go through BPE. */
  static Tokenizer read(Path file, int cacheCapacity) {
    return parse(TokenizerFiles.readBytes(file), file.toString(), cacheCapacity);
  }

  static Tokenizer parse(String json, String source) {
    return parse(json.getBytes(StandardCharsets.UTF_8), source);
  }

  /**
   * Streams through the file: the vocabulary and merges (hundreds of thousands of entries) go
   * straight into maps, the small pipeline sections become trees.
   */
  static Tokenizer parse(byte[] json, String source) {
    return parse(json, source, CACHE_CAPACITY);
  }

  private static Tokenizer parse(byte[] json, String source, int cacheCapacity) {
    TokenizerJsonReader reader = new TokenizerJsonReader(source, cacheCapacity);
    try (JsonParser p = JSON.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new TokenizerFormatException(source + ": expected a JSON object (a tokenizer.json)");
      }
      ObjectNode root = JSON.createObjectNode();
      for (String name = p.nextName(); name != null; name = p.nextName()) {
        p.nextToken();
        if (name.equals("model") && p.currentToken() == JsonToken.START_OBJECT) {
          root.set("model", reader.readModel(p));
        } else {
          root.set(name, JSON.readTree(p));
        }
      }
      return reader.build(root);
    } catch (JacksonException e) {
      throw new TokenizerFormatException(source + ": not valid JSON: " + e.getOriginalMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new TokenizerFormatException(source + ": " + e.getMessage(), e);
    }
  }

  private ObjectNode readModel(JsonParser p) {
    ObjectNode model = JSON.createObjectNode();
    for (String name = p.nextName(); name != null; name = p.nextName()) {
      JsonToken token = p.nextToken();
      if (name.equals("vocab") && token == JsonToken.START_OBJECT) {
        vocab = new HashMap<>(300_000);
        for (String key = p.nextName(); key != null; key = p.nextName()) {
          if (p.nextToken() != JsonToken.VALUE_NUMBER_INT || p.getIntValue() < 0) {
            throw new IllegalArgumentException(
                "model.vocab entry " + quote(key) + " has no valid id");
          }
          vocab.put(key, p.getIntValue());
        }
      } else if (name.equals("merges") && token == JsonToken.START_ARRAY) {
        mergePairs = new ArrayList<>(200_000);
        while (p.nextToken() != JsonToken.END_ARRAY) {
          mergePairs.add(mergePair(p, mergePairs.size()));
        }
      } else {
        model.set(name, JSON.readTree(p));
      }
    }
    return model;
  }

  /** Merges are written as "left right" strings (older files) or [left, right] pairs. */
  private static String[] mergePair(JsonParser p, int rank) {
    if (p.currentToken() == JsonToken.VALUE_STRING) {
      String text = p.getString();
      int space = text.indexOf(' ');
      if (space < 0 || text.indexOf(' ', space + 1) >= 0) {
        throw new IllegalArgumentException(
            "merge " + rank + " " + quote(text) + " is not two tokens separated by a space");
      }
      return new String[] {text.substring(0, space), text.substring(space + 1)};
    }
    if (p.currentToken() == JsonToken.START_ARRAY) {
      String left = p.nextStringValue();
      String right = left == null ? null : p.nextStringValue();
      if (left != null && right != null && p.nextToken() == JsonToken.END_ARRAY) {
        return new String[] {left, right};
      }
    }
    throw new IllegalArgumentException("merge " + rank + " is not a pair of token strings");
  }

  private Tokenizer build(JsonNode root) {
    if (!root.path("truncation").isNull() && !root.path("truncation").isMissingNode()) {
      throw unsupported("truncation", "a truncation setting");
    }
    TextNormalizer normalizer = normalizer(root.path("normalizer"));
    PreTokenizer preTokenizer = preTokenizer(root.path("pre_tokenizer"));
    if (!byteLevelPreTokenizer) {
      throw new IllegalArgumentException(
          "the pre_tokenizer has no ByteLevel step; only byte-level BPE tokenizers are supported");
    }
    checkDecoder(root.path("decoder"));
    checkPostProcessor(root.path("post_processor"));

    JsonNode model = root.path("model");
    if (!"BPE".equals(model.path("type").asString(""))) {
      throw unsupported("model", "type " + model.path("type"));
    }
    if (model.path("byte_fallback").asBoolean(false)) {
      throw unsupported("model", "byte_fallback true");
    }
    if (!model.path("continuing_subword_prefix").asString("").isEmpty()
        || !model.path("end_of_word_suffix").asString("").isEmpty()) {
      throw unsupported("model", "a continuing_subword_prefix or end_of_word_suffix");
    }
    JsonNode dropout = model.path("dropout");
    if (!dropout.isNull() && !dropout.isMissingNode() && dropout.asDouble() != 0.0) {
      throw unsupported("model", "BPE dropout");
    }
    if (vocab == null || vocab.isEmpty()) {
      throw new IllegalArgumentException("model.vocab is missing or empty");
    }
    if (mergePairs == null) {
      throw new IllegalArgumentException("model.merges is missing");
    }
    int maxId = -1;
    for (int id : vocab.values()) {
      maxId = Math.max(maxId, id);
    }
    List<AddedToken> added = addedTokens(root.path("added_tokens"));
    for (AddedToken token : added) {
      maxId = Math.max(maxId, token.id());
    }
    String[] tokens = new String[maxId + 1];
    vocab.forEach((token, id) -> tokens[id] = token);
    Map<String, Integer> tokenIds = new HashMap<>(vocab);
    for (AddedToken token : added) {
      tokens[token.id()] = token.content();
      tokenIds.put(token.content(), token.id());
    }
    MergeTable merges = merges(mergePairs, vocab);
    BytePairModel bpe =
        new BytePairModel(
            vocab, merges, model.path("ignore_merges").asBoolean(false), cacheCapacity);
    return new Tokenizer(source, normalizer, preTokenizer, bpe, added, tokenIds, tokens);
  }

  private TextNormalizer normalizer(JsonNode node) {
    if (node.isNull() || node.isMissingNode()) {
      return TextNormalizer.none();
    }
    String type = node.path("type").asString("");
    return switch (type) {
      case "NFC" -> TextNormalizer.unicode(Normalizer.Form.NFC);
      case "NFD" -> TextNormalizer.unicode(Normalizer.Form.NFD);
      case "NFKC" -> TextNormalizer.unicode(Normalizer.Form.NFKC);
      case "NFKD" -> TextNormalizer.unicode(Normalizer.Form.NFKD);
      case "Sequence" -> {
        List<TextNormalizer> steps = new ArrayList<>();
        for (JsonNode step : node.path("normalizers")) {
          steps.add(normalizer(step));
        }
        yield TextNormalizer.sequence(steps);
      }
      default -> throw unsupported("normalizer", "type " + quote(type));
    };
  }

  private PreTokenizer preTokenizer(JsonNode node) {
    if (node.isNull() || node.isMissingNode()) {
      return PreTokenizer.whole();
    }
    String type = node.path("type").asString("");
    return switch (type) {
      case "Sequence" -> {
        PreTokenizer chain = null;
        for (JsonNode step : node.path("pretokenizers")) {
          PreTokenizer next = preTokenizer(step);
          chain = chain == null ? next : chain.then(next);
        }
        yield chain == null ? PreTokenizer.whole() : chain;
      }
      case "Split" -> split(node);
      case "ByteLevel" -> {
        if (node.path("add_prefix_space").asBoolean(false)) {
          throw unsupported("pre_tokenizer", "ByteLevel with add_prefix_space true");
        }
        byteLevelPreTokenizer = true;
        yield node.path("use_regex").asBoolean(true)
            ? RegexPreTokenizer.ofOniguruma(GPT2_PATTERN, false)
            : PreTokenizer.whole();
      }
      default -> throw unsupported("pre_tokenizer", "type " + quote(type));
    };
  }

  private PreTokenizer split(JsonNode node) {
    if (node.path("invert").asBoolean(false)) {
      throw unsupported("pre_tokenizer", "Split with invert true");
    }
    String behavior = node.path("behavior").asString("");
    boolean remove =
        switch (behavior) {
          case "Isolated" -> false;
          case "Removed" -> true;
          default -> throw unsupported("pre_tokenizer", "Split behavior " + quote(behavior));
        };
    JsonNode pattern = node.path("pattern");
    if (pattern.path("Regex").isString()) {
      String regex = pattern.get("Regex").stringValue();
      if (regex.equals(Qwen2PreTokenizer.PATTERN) && !remove) {
        return new Qwen2PreTokenizer();
      }
      return RegexPreTokenizer.ofOniguruma(regex, remove);
    }
    if (pattern.path("String").isString()) {
      return RegexPreTokenizer.ofLiteral(pattern.get("String").stringValue(), remove);
    }
    throw new IllegalArgumentException("pre_tokenizer Split has no Regex or String pattern");
  }

  private void checkDecoder(JsonNode node) {
    String type = node.path("type").asString("");
    if (!"ByteLevel".equals(type)) {
      throw unsupported("decoder", node.isNull() ? "none" : "type " + quote(type));
    }
  }

  private void checkPostProcessor(JsonNode node) {
    if (node.isNull() || node.isMissingNode()) {
      return;
    }
    String type = node.path("type").asString("");
    if (!"ByteLevel".equals(type)) {
      throw unsupported(
          "post_processor", "type " + quote(type) + " (it adds tokens around the text)");
    }
  }

  private List<AddedToken> addedTokens(JsonNode node) {
    List<AddedToken> tokens = new ArrayList<>();
    if (node.isNull() || node.isMissingNode()) {
      return tokens;
    }
    if (!node.isArray()) {
      throw new IllegalArgumentException("added_tokens must be a list");
    }
    for (JsonNode t : node) {
      if (!t.path("id").canConvertToInt() || !t.path("content").isString()) {
        throw new IllegalArgumentException("an added token has no id or content: " + t);
      }
      if (t.path("single_word").asBoolean(false)) {
        throw unsupported("added_tokens", "single_word true (token " + t.get("content") + ")");
      }
      tokens.add(
          new AddedToken(
              t.get("id").asInt(),
              t.get("content").stringValue(),
              t.path("special").asBoolean(false),
              t.path("lstrip").asBoolean(false),
              t.path("rstrip").asBoolean(false),
              t.path("normalized").asBoolean(true)));
    }
    return tokens;
  }

  private static MergeTable merges(List<String[]> pairs, Map<String, Integer> vocab) {
    MergeTable table = new MergeTable(pairs.size());
    for (int rank = 0; rank < pairs.size(); rank++) {
      String left = pairs.get(rank)[0];
      String right = pairs.get(rank)[1];
      Integer leftId = vocab.get(left);
      Integer rightId = vocab.get(right);
      Integer mergedId = vocab.get(left + right);
      if (leftId == null || rightId == null || mergedId == null) {
        throw new IllegalArgumentException(
            "merge "
                + rank
                + " ("
                + quote(left)
                + ", "
                + quote(right)
                + ") uses a token that is not in model.vocab");
      }
      table.put(leftId, rightId, rank, mergedId);
    }
    return table;
  }

  private static IllegalArgumentException unsupported(String stage, String what) {
    return new IllegalArgumentException(
        stage + " with " + what + " is not supported by this tokenizer implementation");
  }

  private static String quote(String s) {
    return "\"" + s + "\"";
  }
}
