package io.flashtensors.llm.tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.zip.GZIPInputStream;

/**
 * The tokenizer files of a model: {@code tokenizer.json}, and beside it {@code
 * tokenizer_config.json} and {@code chat_template.jinja} when present. Each may be gzipped ({@code
 * .gz} appended to its name).
 *
 * @param tokenizerJson the tokenizer.json (or tokenizer.json.gz)
 * @param tokenizerConfig tokenizer_config.json, if there is one
 * @param chatTemplate chat_template.jinja, if there is one (transformers 5 saves the template
 *     there)
 */
public record TokenizerFiles(
    Path tokenizerJson, Optional<Path> tokenizerConfig, Optional<Path> chatTemplate) {

  /**
   * Finds the files from a path that is a tokenizer.json file or a folder holding one.
   *
   * @throws TokenizerFormatException when there is no such file or folder
   */
  public static TokenizerFiles locate(Path path) {
    if (Files.isDirectory(path)) {
      Path json =
          existing(path, "tokenizer.json")
              .orElseThrow(
                  () ->
                      new TokenizerFormatException(
                          path
                              + ": no tokenizer.json in this folder (a model folder in Hugging"
                              + " Face layout holds one)"));
      return new TokenizerFiles(
          json, existing(path, "tokenizer_config.json"), existing(path, "chat_template.jinja"));
    }
    if (!Files.isRegularFile(path)) {
      throw new TokenizerFormatException(
          path + ": no such file or folder (expected a tokenizer.json or a folder holding one)");
    }
    Path folder = path.toAbsolutePath().getParent();
    return new TokenizerFiles(
        path, existing(folder, "tokenizer_config.json"), existing(folder, "chat_template.jinja"));
  }

  private static Optional<Path> existing(Path folder, String name) {
    if (folder == null) {
      return Optional.empty();
    }
    for (String candidate : new String[] {name, name + ".gz"}) {
      Path p = folder.resolve(candidate);
      if (Files.isRegularFile(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /**
   * Reads a file as UTF-8 text, un-gzipping it when its name ends in {@code .gz}.
   *
   * @throws TokenizerFormatException naming the file when it cannot be read
   */
  public static String readText(Path file) {
    return new String(readBytes(file), StandardCharsets.UTF_8);
  }

  /** Reads a file's bytes, un-gzipping it when its name ends in {@code .gz}. */
  static byte[] readBytes(Path file) {
    try (InputStream raw = Files.newInputStream(file);
        InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new TokenizerFormatException(file + ": cannot read: " + e.getMessage(), e);
    }
  }
}
