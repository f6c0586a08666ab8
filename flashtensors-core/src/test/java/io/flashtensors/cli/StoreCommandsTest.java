package io.flashtensors.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashtensors.format.DType;
import io.flashtensors.format.Safetensors;
import io.flashtensors.format.TestTensors;
import io.flashtensors.memory.Tensor;
import io.flashtensors.store.hub.FakeHub;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** register, list, info, rm and pull through the command line. */
class StoreCommandsTest {

  @TempDir Path temp;
  CliRun cli;
  Path folder;

  @BeforeEach
  void setUp() throws IOException {
    cli = new CliRun(temp);
    folder = temp.resolve("Qwen3-Tiny");
    Files.createDirectories(folder);
    writeModel(folder.resolve("model.safetensors"), 11);
    Files.writeString(folder.resolve("config.json"), "{\"model_type\":\"qwen3\"}");
  }

  static void writeModel(Path file, long seed) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      Random random = new Random(seed);
      Map<String, Tensor> t = new LinkedHashMap<>();
      t.put(
          "model.embed_tokens.weight",
          TestTensors.random(arena, "e", DType.BF16, new long[] {64, 32}, random));
      t.put(
          "model.norm.weight", TestTensors.random(arena, "n", DType.F32, new long[] {32}, random));
      Safetensors.write(file, t, Map.of());
    }
  }

  @Test
  void registerListInfoRmShouldWorkOnTheStoreWithoutADaemon() {
    CliRun.Result reg = cli.run("register", "acme/tiny", folder.toString());
    assertThat(reg.code()).as(reg.err()).isZero();
    assertThat(reg.out())
        .startsWith(
            "registered acme/tiny@local: 2 tensors, 4.1 KiB of BF16/F32 weights in 1 partition");
    assertThat(reg.err())
        .as("plain progress lines off a terminal")
        .contains("convert")
        .contains("100%");

    CliRun.Result list = cli.run("list");
    assertThat(list.out().lines().toList())
        .hasSize(2)
        .first()
        .asString()
        .startsWith("MODEL")
        .contains("RESIDENT");
    assertThat(list.out()).contains("acme/tiny  local").contains("BF16/F32").contains("-");

    CliRun.Result info = cli.run("info", "acme/tiny");
    assertThat(info.out())
        .contains("id          acme/tiny")
        .contains("revision    local")
        .contains("source      " + folder)
        .contains("partitions  1")
        .contains("resident    unknown (no daemon running)")
        .contains("path        " + temp.resolve("home/models/acme/tiny/local"));

    CliRun.Result json = cli.run("list", "--json");
    assertThat(json.out()).contains("\"id\":\"acme/tiny\"").contains("\"tensors\":2");

    CliRun.Result rm = cli.run("rm", "acme/tiny");
    assertThat(rm.out()).startsWith("removed acme/tiny@local");
    assertThat(cli.run("list").out()).startsWith("no models in");
  }

  @Test
  void commandsWhenGivenABadIdOrMissingModelShouldPrintOneErrorLine() {
    CliRun.Result bad = cli.run("info", "../../etc");
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err().lines().findFirst().orElseThrow())
        .startsWith("error: '../../etc' is not a model id");

    CliRun.Result missing = cli.run("info", "acme/none");
    assertThat(missing.code()).isEqualTo(1);
    assertThat(missing.err()).startsWith("error: model acme/none is not in the store");

    CliRun.Result notFolder = cli.run("register", "acme/x", temp.resolve("nope").toString());
    assertThat(notFolder.err()).startsWith("error: " + temp.resolve("nope") + " is not a folder");
  }

  @Test
  void storagePathFlagShouldWinOverConfigFile() throws IOException {
    Files.createDirectories(temp.resolve("home"));
    Files.writeString(
        temp.resolve("home/config"), "storage-path = " + temp.resolve("from-config") + "\n");
    cli.run("register", "acme/tiny", folder.toString());
    assertThat(temp.resolve("from-config/acme/tiny/local")).isDirectory();

    cli.run(
        "register",
        "acme/tiny",
        folder.toString(),
        "--storage-path",
        temp.resolve("from-flag").toString());
    assertThat(temp.resolve("from-flag/acme/tiny/local")).isDirectory();
  }

  @Test
  void pullShouldDownloadFromTheHubAtHfEndpointAndConvert() throws IOException {
    Path file = temp.resolve("weights.safetensors");
    writeModel(file, 12);
    try (FakeHub hub = new FakeHub()) {
      hub.add("acme/remote", "89abcdef0123456789abcdef0123456789abcdef")
          .file("config.json", "{}".getBytes(StandardCharsets.UTF_8), false)
          .file("model.safetensors", Files.readAllBytes(file), true);
      cli.env.put("HF_ENDPOINT", hub.endpoint());

      CliRun.Result pull = cli.run("pull", "acme/remote");
      assertThat(pull.code()).as(pull.err()).isZero();
      assertThat(pull.out()).startsWith("pulled acme/remote@main (commit 89abcdef0123)");
      assertThat(pull.err()).contains("download").contains("convert");

      CliRun.Result again = cli.run("pull", "acme/remote");
      assertThat(again.out()).isEqualTo("acme/remote@main is up to date (commit 89abcdef0123)\n");

      CliRun.Result gated = cli.run("pull", "acme/missing");
      assertThat(gated.code()).isEqualTo(1);
      assertThat(gated.err())
          .startsWith("error: acme/missing@main: 401 Unauthorized")
          .contains("HF_TOKEN");
    }
  }

  @Test
  void statusWhenNoDaemonRunsShouldSaySoWithExitCode3() {
    CliRun.Result status = cli.run("status");
    assertThat(status.code()).isEqualTo(3);
    assertThat(status.out()).isEqualTo("flashtensors daemon: not running\n");
    assertThat(cli.run("stop").out()).isEqualTo("no flashtensors daemon is running\n");
  }
}
