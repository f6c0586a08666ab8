package io.flashtensors.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashtensors.cuda.Cuda;
import io.flashtensors.llm.qwen3.Fixtures;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class RunCommandTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();

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

  @Test
  void greedyRunThroughTheLoaderReproducesTransformers() {
    Path dir = Fixtures.root().resolve("qwen3-parity/mha-untied-theta1e4-v5");
    JsonNode prompt = Fixtures.json(dir.resolve("reference.json")).get("prompts").get(2);
    int[] ids = Fixtures.ints(prompt.get("input_ids"));
    StringBuilder csv = new StringBuilder();
    for (int id : ids) {
      csv.append(csv.isEmpty() ? "" : ",").append(id);
    }
    Run r =
        run(
            "run",
            dir.toString(),
            "--input-ids",
            csv.toString(),
            "--max-tokens",
            "40",
            "--temperature",
            "0",
            "--json",
            "--dump-logits",
            "--threads",
            "2");
    assertThat(r.exitCode()).as(r.err()).isZero();
    JsonNode o = JSON.readTree(r.out());
    // generation ends at the model's eos (7) if greedy decoding reaches it
    List<Integer> want = new ArrayList<>();
    for (JsonNode t : prompt.get("greedy_ids")) {
      want.add(t.asInt());
      if (t.asInt() == 7) {
        break;
      }
    }
    List<Integer> got = new ArrayList<>();
    o.get("output_ids").forEach(n -> got.add(n.asInt()));
    assertThat(got).isEqualTo(want);
    assertThat(o.get("finish_reason").asString()).isEqualTo(want.size() == 40 ? "length" : "stop");
    assertThat(o.get("prompt_tokens").asInt()).isEqualTo(ids.length);
    assertThat(o.get("completion_tokens").asInt()).isEqualTo(want.size());
    assertThat(o.has("text")).isFalse();
    assertThat(o.get("load_seconds").asDouble()).isPositive();
    assertThat(o.has("tokens_per_second")).isTrue();

    float[] all =
        Fixtures.floats(
            Fixtures.readSafetensors(
                    dir.resolve("reference.safetensors"), java.lang.foreign.Arena.ofAuto())
                .get(prompt.get("logits_tensor").asString()));
    JsonNode logits = o.get("prompt_last_logits");
    int vocab = logits.size();
    double max = 0;
    double err = 0;
    for (int i = 0; i < vocab; i++) {
      double want1 = all[all.length - vocab + i];
      max = Math.max(max, Math.abs(want1));
      err = Math.max(err, Math.abs(logits.get(i).asDouble() - want1));
    }
    assertThat(err).isLessThanOrEqualTo(1e-3 * max);
  }

  @Test
  void sameSeedSameOutput() {
    String dir = Fixtures.root().resolve("qwen3-parity/gqa2-tied-theta1e6-v4").toString();
    String[] args = {
      "run",
      dir,
      "--input-ids",
      "1,2,3",
      "--max-tokens",
      "12",
      "--temperature",
      "1.2",
      "--top-k",
      "50",
      "--top-p",
      "0.9",
      "--seed",
      "7",
      "--json"
    };
    JsonNode a = JSON.readTree(run(args).out());
    JsonNode b = JSON.readTree(run(args).out());
    assertThat(a.get("output_ids")).isEqualTo(b.get("output_ids"));
    assertThat(a.get("seed").asLong()).isEqualTo(7);
  }

  @Test
  void streamsTextAndReportsSpeedOnStderr() {
    Run r =
        run(
            "run",
            Fixtures.tinyRandomModel().toString(),
            "--input-ids",
            "151644,872,198,9707",
            "--max-tokens",
            "3",
            "--temperature",
            "0");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.err())
        .containsPattern(
            "load [0-9.]+ s; prompt 4 tokens in [0-9.]+ s; 3 tokens, [0-9.]+ tokens/s; finish length");
  }

  @Test
  void badArgumentsGiveOneClearError() {
    String dir = Fixtures.root().resolve("qwen3-parity/gqa2-tied-theta1e6-v4").toString();
    for (var c :
        List.of(
            new String[][] {
              {"run", dir}, {"give either a PROMPT or --input-ids"},
            },
            new String[][] {
              {"run", dir, "--input-ids", "1", "--dump-logits"}, {"--dump-logits needs --json"},
            },
            new String[][] {
              {"run", dir, "--input-ids", "1", "--device", "cuda:7"},
              {Cuda.isAvailable() ? "GPU index 7 is out of range" : "CUDA is not available: "},
            },
            new String[][] {
              {"run", dir, "--input-ids", "1,99999"},
              {"token id 99999 is outside the vocabulary [0, 512)"},
            },
            new String[][] {
              {"run", dir, "--input-ids", "1", "--top-p", "0"}, {"top-p must be in (0, 1]"},
            },
            new String[][] {
              {"run", dir + "/missing", "--input-ids", "1"},
              // Neither a folder nor a store id: the CLI names the path and both readings.
              {"missing: no such model folder or file, nor a model id"},
            })) {
      Run r = run(c[0]);
      assertThat(r.exitCode()).isEqualTo(1);
      // (a CPU-only machine also prints the device fallback notice before the error)
      String err =
          r.err().lines().filter(l -> !l.startsWith("notice: ")).reduce("", (a, b) -> a + b + "\n");
      assertThat(err).startsWith("error: ").contains(c[1][0]);
      assertThat(r.err().lines().filter(l -> l.startsWith("error")).count()).isEqualTo(1);
    }
  }

  @Test
  void badSamplingOptionsAreRefusedBeforeAnythingIsLoaded() {
    // The model does not exist: an error about the option shows it was checked first.
    String missing = Fixtures.root().resolve("no-such-model").toString();
    for (String[] c :
        List.of(
            new String[] {"--temperature", "-1", "temperature must be 0 or more"},
            new String[] {"--top-p", "1.5", "top-p must be in (0, 1]"},
            new String[] {"--min-p", "2", "min-p must be in [0, 1]"},
            new String[] {"--max-tokens", "0", "max tokens must be at least 1"})) {
      Run r = run("run", missing, "--input-ids", "1", c[0], c[1]);
      assertThat(r.exitCode()).isEqualTo(1);
      assertThat(r.err()).startsWith("error: ").contains(c[2]).doesNotContain("notice: ");
    }
  }
}
