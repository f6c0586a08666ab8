package io.flashtensors.llm.tokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A byte-level BPE tokenizer read from a Hugging Face {@code tokenizer.json} (Qwen2/Qwen3, GPT-2
 * and other byte-level BPE tokenizers), giving the same ids as Hugging Face's {@code tokenizers}
 * library. Encoding runs: added tokens matched in the raw text, then on the text between them the
 * normalizer (NFC for Qwen), the pre-tokenizer split regex and BPE. Thread-safe.
 *
 * <p>{@link #encode} adds nothing around the text (no BOS): Qwen's post-processor adds nothing, and
 * tokenizer.json files whose post-processor would are refused when loaded.
 */
public final class Tokenizer {

  private final String source;
  private final TextNormalizer normalizer;
  private final PreTokenizer preTokenizer;
  private final BytePairModel model;
  private final AddedTokenMatcher rawAddedTokens;
  private final AddedTokenMatcher normalizedAddedTokens;
  private final List<AddedToken> addedTokens;
  private final Map<String, Integer> tokenIds;
  private final String[] tokens;
  private final byte[][] tokenBytes;
  private final boolean[] special;

  Tokenizer(
      String source,
      TextNormalizer normalizer,
      PreTokenizer preTokenizer,
      BytePairModel model,
      List<AddedToken> addedTokens,
      Map<String, Integer> tokenIds,
      String[] tokens) {
    this.source = source;
    this.normalizer = normalizer;
    this.preTokenizer = preTokenizer;
    this.model = model;
    this.addedTokens = List.copyOf(addedTokens);
    this.tokenIds = tokenIds;
    this.tokens = tokens;
    this.rawAddedTokens =
        new AddedTokenMatcher(addedTokens.stream().filter(t -> !t.normalized()).toList());
    this.normalizedAddedTokens =
        new AddedTokenMatcher(addedTokens.stream().filter(AddedToken::normalized).toList());
    this.tokenBytes = new byte[tokens.length][];
    this.special = new boolean[tokens.length];
    for (int id = 0; id < tokens.length; id++) {
      if (tokens[id] != null) {
        tokenBytes[id] = ByteLevel.decode(tokens[id]);
      }
    }
    for (AddedToken token : addedTokens) {
      // Added tokens are written as plain text; the decoder maps them like any other token.
      special[token.id()] = token.special();
    }
  }

  /**
   * Reads a tokenizer: {@code path} is a tokenizer.json (optionally gzipped, {@code .json.gz}) or a
   * folder holding one.
   *
   * @throws TokenizerFormatException naming the file and the problem when it cannot be used
   */
  public static Tokenizer load(Path path) {
    return TokenizerJsonReader.read(TokenizerFiles.locate(path).tokenizerJson());
  }

  /** Reads a tokenizer from the text of a tokenizer.json; {@code source} names it in errors. */
  public static Tokenizer fromJson(String json, String source) {
    return TokenizerJsonReader.parse(json, source);
  }

  /** Where this tokenizer was read from. */
  public String source() {
    return source;
  }

  /** The token ids of {@code text}; added tokens written in it ({@code <|im_end|>}) are matched. */
  public int[] encode(String text) {
    String input = withoutLoneSurrogates(text);
    IntList ids = new IntList(input.length() / 3 + 8);
    int previous = 0;
    for (AddedTokenMatcher.Match match : rawAddedTokens.find(input)) {
      encodeNormalized(input.substring(previous, match.start()), ids);
      ids.add(match.token().id());
      previous = match.end();
    }
    encodeNormalized(input.substring(previous), ids);
    return ids.toArray();
  }

  private void encodeNormalized(String raw, IntList ids) {
    if (raw.isEmpty()) {
      return;
    }
    String text = normalizer.normalize(raw);
    int previous = 0;
    for (AddedTokenMatcher.Match match : normalizedAddedTokens.find(text)) {
      encodeText(text, previous, match.start(), ids);
      ids.add(match.token().id());
      previous = match.end();
    }
    encodeText(text, previous, text.length(), ids);
  }

  private void encodeText(String text, int start, int end, IntList ids) {
    if (end > start) {
      preTokenizer.split(text, start, end, (t, s, e) -> model.encode(t.substring(s, e), ids));
    }
  }

  /** The text of the ids, special tokens included. */
  public String decode(int[] ids) {
    return decode(ids, false);
  }

  /**
   * The text of the ids, as Hugging Face decodes them: the tokens' bytes concatenated and read as
   * UTF-8, each invalid sequence becoming U+FFFD.
   *
   * @param skipSpecialTokens drop tokens marked special ({@code <|im_end|>}, but not {@code
   *     <think>}, which Qwen does not mark special)
   * @throws IllegalArgumentException for an id outside the vocabulary
   */
  public String decode(int[] ids, boolean skipSpecialTokens) {
    int length = 0;
    for (int id : ids) {
      length += tokenBytes(id).length;
    }
    byte[] bytes = new byte[length];
    int at = 0;
    for (int id : ids) {
      if (skipSpecialTokens && special[id]) {
        continue;
      }
      byte[] b = tokenBytes[id];
      System.arraycopy(b, 0, bytes, at, b.length);
      at += b.length;
    }
    return Utf8.decodeLossy(bytes, 0, at);
  }

  /** A decoder for streaming generated ids one at a time. */
  public StreamingDecoder newStreamingDecoder(boolean skipSpecialTokens) {
    return new StreamingDecoder(this, skipSpecialTokens);
  }

  /** One more than the highest token id (151669 for Qwen3; its embedding matrix is larger). */
  public int vocabularySize() {
    return tokens.length;
  }

  /** The id of a token written as in tokenizer.json (byte-level spelling for regular tokens). */
  public OptionalInt tokenId(String token) {
    Integer id = tokenIds.get(token);
    return id == null ? OptionalInt.empty() : OptionalInt.of(id);
  }

  /**
   * The id of a token that must exist, such as {@code <|im_end|>}.
   *
   * @throws TokenizerFormatException naming the tokenizer when it has no such token
   */
  public int requireTokenId(String token) {
    Integer id = tokenIds.get(token);
    if (id == null) {
      throw new TokenizerFormatException(source + ": the tokenizer has no token " + token);
    }
    return id;
  }

  /** The token's string as tokenizer.json writes it. */
  public String tokenString(int id) {
    checkId(id);
    return tokens[id];
  }

  /** Whether the id is an added token marked special. */
  public boolean isSpecial(int id) {
    checkId(id);
    return special[id];
  }

  /** The added tokens, in id order. */
  public List<AddedToken> addedTokens() {
    List<AddedToken> sorted = new ArrayList<>(addedTokens);
    sorted.sort((a, b) -> Integer.compare(a.id(), b.id()));
    return Collections.unmodifiableList(sorted);
  }

  BytePairModel model() {
    return model;
  }

  byte[] tokenBytes(int id) {
    checkId(id);
    return tokenBytes[id];
  }

  private void checkId(int id) {
    if (id < 0 || id >= tokens.length || tokens[id] == null) {
      throw new IllegalArgumentException(
          "token id " + id + " is not in the vocabulary of " + source);
    }
  }

  /** Unpaired surrogates cannot be UTF-8 encoded; they become U+FFFD. */
  private static String withoutLoneSurrogates(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isSurrogate(c)) {
        boolean paired =
            Character.isHighSurrogate(c)
                && i + 1 < text.length()
                && Character.isLowSurrogate(text.charAt(i + 1));
        if (!paired) {
          return replaceLoneSurrogates(text);
        }
        i++;
      }
    }
    return text;
  }

  private static String replaceLoneSurrogates(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      out.appendCodePoint(Character.isSurrogate((char) cp) && cp < 0x10000 ? 0xFFFD : cp);
      i += Character.charCount(cp);
    }
    return out.toString();
  }
}
