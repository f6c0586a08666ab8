package io.flashtensors.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashtensors.llm.tokenizer.Qwen3TokenizerFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class TokenizerCommandsTest {

  private record Run(int exitCode, String out, String err) {}

  private static Run run(String... args) {
    CommandLine cli = FlashTensorsCli.newCommandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void tokenizePrintsIdsAsAJsonArray() {
    Run run =
        run(
            "tokenize",
            "--tokenizer",
            Qwen3TokenizerFiles.tokenizerJson().toString(),
            "Hello, world!");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).isEqualTo("[9707, 11, 1879, 0]" + System.lineSeparator());
  }

  @Test
  void renderChatPrintsThePromptExactly(@TempDir Path dir) throws IOException {
    Path messages =
        Files.writeString(
            dir.resolve("messages.json"),
            "[{\"role\": \"system\", \"content\": \"Be brief.\"},"
                + " {\"role\": \"user\", \"content\": \"Hi\"}]");
    Path tools =
        Files.writeString(
            dir.resolve("tools.json"),
            "[{\"type\": \"function\", \"function\": {\"name\": \"f\", \"parameters\": {}}}]");
    String folder = Qwen3TokenizerFiles.folder().toString();

    Run plain = run("render-chat", "--tokenizer", folder, "--messages", messages.toString());
    assertThat(plain.exitCode()).isZero();
    assertThat(plain.out())
        .isEqualTo(
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                + "<|im_start|>assistant\n");

    Run noThink =
        run(
            "render-chat",
            "--tokenizer",
            folder,
            "--messages",
            messages.toString(),
            "--no-think",
            "--tools",
            tools.toString());
    assertThat(noThink.out())
        .startsWith("<|im_start|>system\nBe brief.\n\n# Tools")
        .contains("{\"type\": \"function\", \"function\": {\"name\": \"f\", \"parameters\": {}}}")
        .endsWith("<|im_start|>assistant\n<think>\n\n</think>\n\n");
  }

  @Test
  void badFilesGiveOneClearErrorLine(@TempDir Path dir) throws IOException {
    Run missing = run("tokenize", "--tokenizer", dir.resolve("none").toString(), "x");
    assertThat(missing.exitCode()).isEqualTo(1);
    assertThat(missing.err()).startsWith("error: ").contains("none").contains("no such file");

    Path broken = Files.writeString(dir.resolve("messages.json"), "[{\"role\": \"user\",");
    Run badJson =
        run(
            "render-chat",
            "--tokenizer",
            Qwen3TokenizerFiles.folder().toString(),
            "--messages",
            broken.toString());
    assertThat(badJson.exitCode()).isEqualTo(1);
    assertThat(badJson.err()).contains("messages.json").contains("not valid JSON");

    Path badRole =
        Files.writeString(dir.resolve("roles.json"), "[{\"role\": \"robot\", \"content\": \"x\"}]");
    Run role =
        run(
            "render-chat",
            "--tokenizer",
            Qwen3TokenizerFiles.folder().toString(),
            "--messages",
            badRole.toString());
    assertThat(role.err()).contains("roles.json").contains("message 0").contains("robot");
  }
}
