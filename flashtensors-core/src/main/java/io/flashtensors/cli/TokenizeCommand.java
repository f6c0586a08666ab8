package io.flashtensors.cli;

import io.flashtensors.llm.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code flashtensors tokenize --tokenizer PATH TEXT}: prints the token ids as a JSON array. */
@Command(
    name = "tokenize",
    mixinStandardHelpOptions = true,
    description = "Prints the token ids of a text as a JSON array.")
public final class TokenizeCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--tokenizer",
      required = true,
      paramLabel = "PATH",
      description = "A tokenizer.json, or a folder holding one.")
  Path tokenizer;

  @Parameters(
      index = "0",
      paramLabel = "TEXT",
      description = "The text to tokenize; - reads it from standard input.")
  String text;

  @Override
  public Integer call() {
    Tokenizer t = Tokenizer.load(tokenizer);
    String input = text.equals("-") ? readStandardInput() : text;
    PrintWriter out = spec.commandLine().getOut();
    out.println(
        Arrays.stream(t.encode(input))
            .mapToObj(Integer::toString)
            .collect(Collectors.joining(", ", "[", "]")));
    out.flush();
    return 0;
  }

  private static String readStandardInput() {
    try {
      return new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read standard input", e);
    }
  }
}
