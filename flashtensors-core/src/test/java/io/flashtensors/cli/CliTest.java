package io.flashtensors.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashtensors.format.FlashManifest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The commands end to end: exit codes, what they print, and one error line on failure. */
class CliTest {

  @TempDir Path dir;
  Path source;

  record Run(int exitCode, String out, String err) {}

  static Run run(String... args) {
    CommandLine cli = FlashTensorsCli.newCommandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @BeforeEach
  void generate() {
    source = dir.resolve("src");
    Run generated = run("generate", source.toString(), "--shape", "tiny", "--shard-size", "100KB");
    assertThat(generated.exitCode()).as(generated.err()).isZero();
    assertThat(generated.out()).contains("wrote tiny-shaped checkpoint (2 layers, BF16");
  }

  @Test
  void convertInspectAndLoad() throws Exception {
    Path flash = dir.resolve("flash");
    Run convert = run("convert", source.toString(), flash.toString(), "--partition-size", "64KiB");
    assertThat(convert.exitCode()).as(convert.err()).isZero();
    assertThat(convert.out()).startsWith("converted src: 24 tensors into ");
    assertThat(convert.err()).contains("converting: 100%");
    assertThat(FlashManifest.read(flash).partitions()).hasSizeGreaterThan(1);

    Run again = run("convert", source.toString(), flash.toString(), "--partition-size", "64KiB");
    assertThat(again.out()).contains("is up to date");

    Run inspect = run("inspect", flash.toString());
    assertThat(inspect.exitCode()).isZero();
    assertThat(inspect.out())
        .contains("format:    flash layout v1")
        .containsPattern(
            "model\\.embed_tokens\\.weight\\s+BF16\\s+\\[1000, 64\\]\\s+128000\\s+partition-00000\\.bin @ 0");

    Run json = run("inspect", source.toString(), "--json");
    assertThat(json.exitCode()).isZero();
    var tree = tools.jackson.databind.json.JsonMapper.builder().build().readTree(json.out());
    assertThat(tree.get("format").stringValue()).isEqualTo("safetensors");
    assertThat(tree.get("tensors").size()).isEqualTo(24);

    for (Path path : new Path[] {flash, source}) {
      Run load = run("load", path.toString(), "--threads", "2", "--chunk-size", "64KB", "--verify");
      assertThat(load.exitCode()).as(load.err()).isZero();
      assertThat(load.out())
          .containsPattern(
              "loaded \\S+: 24 tensors, \\d+ bytes .* in \\d+\\.\\d+ s, \\d+\\.\\d+ GB/s");
      assertThat(load.out()).contains("2 threads, 64.0 KiB chunks");
    }
    assertThat(run("load", flash.toString(), "--verify").out()).contains("checksums verified");
  }

  @Test
  void failuresPrintOneErrorLineAndExitNonZero() throws Exception {
    Path blocked = Files.writeString(dir.resolve("a-file"), "x");
    Run notAFolder = run("convert", source.toString(), blocked.resolve("out").toString());
    assertThat(notAFolder.exitCode()).isEqualTo(1);
    assertThat(notAFolder.err()).startsWith("error: " + blocked);

    Run missing = run("load", dir.resolve("nope").toString());
    assertThat(missing.exitCode()).isEqualTo(1);
    assertThat(missing.err())
        .startsWith("error: " + dir.resolve("nope") + ": no such file or folder");
    assertThat(missing.err()).doesNotContain("\tat ");

    Path shard =
        Files.list(source)
            .filter(p -> p.toString().contains("model-00001-of-"))
            .findFirst()
            .orElseThrow();
    byte[] bytes = Files.readAllBytes(shard);
    Files.write(shard, java.util.Arrays.copyOf(bytes, bytes.length - 10));
    Run truncated = run("convert", source.toString(), dir.resolve("flash").toString());
    assertThat(truncated.exitCode()).isEqualTo(1);
    assertThat(truncated.err().lines().filter(l -> l.startsWith("error: ")).toList())
        .singleElement()
        .satisfies(
            l -> assertThat(l).contains(shard.toString()).contains("run past the end of the data"));
    assertThat(dir.resolve("flash")).doesNotExist();

    Run debug = run("convert", source.toString(), dir.resolve("flash").toString(), "--debug");
    assertThat(debug.err()).contains("\tat ");

    if (!io.flashtensors.cuda.Cuda.isAvailable()) {
      // GPU loads go to the GPU loader, which needs CUDA: one clear line without it.
      Run gpu = run("load", source.toString(), "--device", "cuda:0");
      assertThat(gpu.exitCode()).isEqualTo(1);
      assertThat(gpu.err()).startsWith("error: CUDA is not available: ");
    }

    Run size = run("load", source.toString(), "--chunk-size", "lots");
    assertThat(size.exitCode()).isNotZero();
    assertThat(size.err())
        .startsWith("error: Invalid value for option '--chunk-size': 'lots' is not a size")
        .doesNotContain("java.lang")
        .doesNotContain("cannot convert");
  }
}
