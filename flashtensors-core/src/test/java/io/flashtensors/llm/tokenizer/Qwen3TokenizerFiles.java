package io.flashtensors.llm.tokenizer;

import java.net.URISyntaxException;
import java.nio.file.Path;

/** The real Qwen3 tokenizer committed under test resources, loaded once for all tests. */
public final class Qwen3TokenizerFiles {

  private static Tokenizer tokenizer;

  private Qwen3TokenizerFiles() {}

  /** The gzipped tokenizer.json; tokenizer_config.json lies beside it. */
  public static Path tokenizerJson() {
    return resource("/qwen3-tokenizer/tokenizer.json.gz");
  }

  public static Path folder() {
    return tokenizerJson().getParent();
  }

  public static synchronized Tokenizer tokenizer() {
    if (tokenizer == null) {
      tokenizer = Tokenizer.load(tokenizerJson());
    }
    return tokenizer;
  }

  public static Path resource(String name) {
    try {
      return Path.of(Qwen3TokenizerFiles.class.getResource(name).toURI());
    } catch (URISyntaxException | NullPointerException e) {
      throw new IllegalStateException("missing test resource " + name, e);
    }
  }
}
