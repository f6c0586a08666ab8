package io.flashtensors.llm.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Parity with Hugging Face {@code tokenizers} on the real Qwen3 tokenizer: the ids and decodes in
 * {@code reference/tokenizer-expected.json.gz} were made by
 * scripts/reference/make_tokenizer_refs.py (HF tokenizers 0.23.2 on the GPU machine) from the
 * inputs in {@code reference/tokenizer-corpus.json}.
 */
class ReferenceTokenizerTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final JsonNode CORPUS = read("/reference/tokenizer-corpus.json");
  private static final JsonNode EXPECTED = read("/reference/tokenizer-expected.json.gz");

  private final Tokenizer tokenizer = Qwen3TokenizerFiles.tokenizer();

  static JsonNode read(String resource) {
    try (InputStream raw = ReferenceTokenizerTest.class.getResourceAsStream(resource);
        InputStream in = resource.endsWith(".gz") ? new GZIPInputStream(raw) : raw) {
      return JSON.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static int[] ids(JsonNode array) {
    int[] ids = new int[array.size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = array.get(i).intValue();
    }
    return ids;
  }

  static Stream<Arguments> cases() {
    Map<String, String> texts = new HashMap<>();
    for (String section : List.of("strings", "documents")) {
      CORPUS
          .get(section)
          .forEach(n -> texts.put(n.get("name").stringValue(), n.get("text").stringValue()));
    }
    List<Arguments> cases = new ArrayList<>();
    for (String section : List.of("strings", "documents")) {
      for (JsonNode e : EXPECTED.get(section)) {
        String name = e.get("name").stringValue();
        cases.add(Arguments.of(name, texts.get(name), e));
      }
    }
    return cases.stream();
  }

  @Test
  void referenceCoversTheWholeCorpus() {
    assertThat(EXPECTED.get("strings").size())
        .isEqualTo(CORPUS.get("strings").size())
        .isGreaterThanOrEqualTo(200);
    assertThat(EXPECTED.get("documents").size()).isEqualTo(CORPUS.get("documents").size());
    assertThat(EXPECTED.at("/meta/versions/tokenizers").stringValue()).matches("0\\.\\d+\\.\\d+");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void encodesAsHuggingFaceDoes(String name, String text, JsonNode expected) {
    int[] ids = tokenizer.encode(text);
    assertThat(ids).isEqualTo(ids(expected.get("ids")));
    String decoded = tokenizer.decode(ids);
    assertThat(decoded).isEqualTo(expected.get("decoded").stringValue());
    // decode(encode(x)) is x itself, normalized to NFC as the tokenizer's normalizer does.
    assertThat(decoded).isEqualTo(Normalizer.normalize(text, Normalizer.Form.NFC));
  }

  @Test
  void decodesArbitraryIdsAsHuggingFaceDoes() {
    JsonNode decodes = EXPECTED.get("decode");
    assertThat(decodes.size()).isGreaterThanOrEqualTo(400);
    for (JsonNode d : decodes) {
      int[] ids = ids(d.get("ids"));
      assertThat(tokenizer.decode(ids, false))
          .as("ids %s", d.get("ids"))
          .isEqualTo(d.get("text").stringValue());
      assertThat(tokenizer.decode(ids, true)).isEqualTo(d.get("text_skip_special").stringValue());
      StreamingDecoder stream = tokenizer.newStreamingDecoder(false);
      StringBuilder pieces = new StringBuilder();
      for (int id : ids) {
        pieces.append(stream.push(id));
      }
      pieces.append(stream.finish());
      assertThat(pieces.toString()).isEqualTo(d.get("text").stringValue());
    }
  }
}
