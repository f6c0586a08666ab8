package io.flashtensors.llm.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** Small synthetic tokenizer.json files: how each stage is read, and the errors for bad ones. */
class TokenizerJsonReaderTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** A byte-level BPE over the 256 byte tokens plus the merged tokens of {@code merges}. */
  static ObjectNode miniTokenizer(List<String[]> merges) {
    ObjectNode root = JSON.createObjectNode();
    root.putNull("truncation");
    root.putNull("padding");
    root.putArray("added_tokens");
    root.putObject("normalizer").put("type", "NFC");
    ObjectNode pre = root.putObject("pre_tokenizer");
    pre.put("type", "Sequence");
    ArrayNode steps = pre.putArray("pretokenizers");
    ObjectNode split = steps.addObject();
    split.put("type", "Split");
    split.putObject("pattern").put("Regex", Qwen2PreTokenizer.PATTERN);
    split.put("behavior", "Isolated");
    split.put("invert", false);
    steps
        .addObject()
        .put("type", "ByteLevel")
        .put("add_prefix_space", false)
        .put("use_regex", false);
    root.putObject("post_processor").put("type", "ByteLevel");
    root.putObject("decoder").put("type", "ByteLevel");
    ObjectNode model = root.putObject("model");
    model.put("type", "BPE");
    model.putNull("dropout");
    model.put("byte_fallback", false);
    model.put("ignore_merges", false);
    ObjectNode vocab = model.putObject("vocab");
    int id = 0;
    for (int b = 0; b < 256; b++) {
      vocab.put(String.valueOf(ByteLevel.charOf(b)), id++);
    }
    ArrayNode mergeList = model.putArray("merges");
    for (String[] merge : merges) {
      if (!vocab.has(merge[0] + merge[1])) {
        vocab.put(merge[0] + merge[1], id++);
      }
      mergeList.addArray().add(merge[0]).add(merge[1]);
    }
    return root;
  }

  static Tokenizer build(ObjectNode root) {
    return Tokenizer.fromJson(root.toString(), "mini.json");
  }

  private static String[] pair(String a, String b) {
    return new String[] {a, b};
  }

  @Test
  void mergesLowestRankFirst() {
    // "abc": (b,c) has rank 0 and wins over (a,b) at rank 1, though (a,b) is leftmost.
    Tokenizer t =
        build(miniTokenizer(List.<String[]>of(pair("b", "c"), pair("a", "b"), pair("a", "bc"))));
    assertThat(t.encode("abc")).containsExactly(t.tokenId("abc").orElseThrow());
    Tokenizer u = build(miniTokenizer(List.<String[]>of(pair("a", "b"), pair("b", "c"))));
    assertThat(u.encode("abc")).containsExactly(u.tokenId("ab").orElseThrow(), 'c' - 0);
  }

  @Test
  void breaksTiesToTheLeft() {
    Tokenizer t = build(miniTokenizer(List.<String[]>of(pair("a", "a"))));
    int aa = t.tokenId("aa").orElseThrow();
    assertThat(t.encode("aaa")).containsExactly(aa, 'a' - 0);
    assertThat(t.encode("aaaa")).containsExactly(aa, aa);
  }

  @Test
  void readsMergesWrittenAsStrings() {
    ObjectNode root = miniTokenizer(List.<String[]>of(pair("a", "b")));
    ArrayNode merges = ((ObjectNode) root.get("model")).putArray("merges");
    merges.add("a b");
    Tokenizer t = build(root);
    assertThat(t.encode("ab")).containsExactly(t.tokenId("ab").orElseThrow());
  }

  @Test
  void ignoreMergesTakesWholeWordsFromTheVocabulary() {
    ObjectNode root = miniTokenizer(List.<String[]>of(pair("a", "b"), pair("c", "d")));
    ObjectNode model = (ObjectNode) root.get("model");
    model.withObject("vocab").put("abcd", 999);
    model.put("ignore_merges", true);
    assertThat(build(root).encode("abcd")).containsExactly(999);
    model.put("ignore_merges", false);
    Tokenizer t = build(root);
    assertThat(t.encode("abcd"))
        .containsExactly(t.tokenId("ab").orElseThrow(), t.tokenId("cd").orElseThrow());
  }

  @Test
  void addedTokensHonourLstripAndRstrip() {
    ObjectNode root = miniTokenizer(List.of());
    ArrayNode added = root.putArray("added_tokens");
    added
        .addObject()
        .put("id", 300)
        .put("content", "<x>")
        .put("lstrip", true)
        .put("rstrip", true)
        .put("normalized", false)
        .put("special", true);
    Tokenizer t = build(root);
    assertThat(t.encode("a  <x>  b")).containsExactly('a' - 0, 300, 'b' - 0);
    assertThat(t.decode(new int[] {'a', 300, 'b'}, true)).isEqualTo("ab");
  }

  @Test
  void normalizedAddedTokensAreMatchedAfterNormalization() {
    ObjectNode root = miniTokenizer(List.of());
    root.putArray("added_tokens")
        .addObject()
        .put("id", 300)
        .put("content", "\u00e9")
        .put("normalized", true);
    assertThat(build(root).encode("e\u0301")).containsExactly(300);
  }

  @Test
  void refusesUnsupportedStagesNamingThem() {
    ObjectNode lower = miniTokenizer(List.of());
    lower.putObject("normalizer").put("type", "Lowercase");
    assertThatThrownBy(() -> build(lower))
        .isInstanceOf(TokenizerFormatException.class)
        .hasMessageContaining("mini.json")
        .hasMessageContaining("normalizer")
        .hasMessageContaining("Lowercase");

    ObjectNode template = miniTokenizer(List.of());
    template.putObject("post_processor").put("type", "TemplateProcessing");
    assertThatThrownBy(() -> build(template)).hasMessageContaining("TemplateProcessing");

    ObjectNode wordPiece = miniTokenizer(List.of());
    ((ObjectNode) wordPiece.get("model")).put("type", "WordPiece");
    assertThatThrownBy(() -> build(wordPiece)).hasMessageContaining("WordPiece");

    ObjectNode metaspace = miniTokenizer(List.of());
    metaspace.putObject("pre_tokenizer").put("type", "Metaspace");
    assertThatThrownBy(() -> build(metaspace)).hasMessageContaining("Metaspace");

    ObjectNode digits = miniTokenizer(List.of());
    ((ObjectNode) digits.get("pre_tokenizer").get("pretokenizers").get(0))
        .putObject("pattern")
        .put("Regex", "\\d+");
    assertThatThrownBy(() -> build(digits)).hasMessageContaining("\\d");
  }

  @Test
  void refusesVocabulariesThatAreNotByteLevel() {
    ObjectNode root = miniTokenizer(List.of());
    ((ObjectNode) root.get("model")).withObject("vocab").remove("Ġ");
    assertThatThrownBy(() -> build(root))
        .isInstanceOf(TokenizerFormatException.class)
        .hasMessageContaining("0x20");
  }

  @Test
  void refusesMergesOfUnknownTokens() {
    ObjectNode root = miniTokenizer(List.of());
    ((ObjectNode) root.get("model")).putArray("merges").addArray().add("a").add("zz");
    assertThatThrownBy(() -> build(root))
        .isInstanceOf(TokenizerFormatException.class)
        .hasMessageContaining("merge 0")
        .hasMessageContaining("zz");
  }

  @Test
  void refusesTextThatIsNotJson(@TempDir Path dir) throws IOException {
    String full = miniTokenizer(List.of()).toString();
    Path truncated = Files.writeString(dir.resolve("tokenizer.json"), full.substring(0, 500));
    assertThatThrownBy(() -> Tokenizer.load(truncated))
        .isInstanceOf(TokenizerFormatException.class)
        .hasMessageContaining(truncated.toString())
        .hasMessageContaining("not valid JSON");
    assertThatThrownBy(() -> Tokenizer.fromJson("[1, 2]", "list.json"))
        .hasMessageContaining("list.json")
        .hasMessageContaining("JSON object");
  }

  @Test
  void namesMissingFilesAndFolders(@TempDir Path dir) {
    assertThatThrownBy(() -> Tokenizer.load(dir.resolve("nope.json")))
        .isInstanceOf(TokenizerFormatException.class)
        .hasMessageContaining("nope.json")
        .hasMessageContaining("no such file");
    assertThatThrownBy(() -> Tokenizer.load(dir))
        .isInstanceOf(TokenizerFormatException.class)
        .hasMessageContaining("no tokenizer.json");
  }

  @Test
  void loadsFromAFolder(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("tokenizer.json"), miniTokenizer(List.of()).toString());
    assertThat(Tokenizer.load(dir).encode("hi")).containsExactly('h' - 0, 'i' - 0);
  }
}
