package io.flashtensors.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashtensors.config.Setting;
import io.flashtensors.config.Settings;
import io.flashtensors.config.SettingsResolver;
import io.flashtensors.llm.qwen3.Fixtures;
import io.flashtensors.server.DaemonProcess;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code run} and {@code chat} on a store id, in this process and through a daemon (which keeps the
 * model in shared memory that the client maps), against transformers' greedy continuation.
 */
class RunThroughDaemonTest {

  @TempDir Path temp;
  CliRun cli;
  Thread daemon;
  int[] expected;
  String prompt;

  @BeforeEach
  void setUp() {
    cli = new CliRun(temp);
    Path model = Fixtures.tinyRandomModel();
    JsonNode first = Fixtures.json(model.resolve("reference.json")).path("prompts").get(0);
    prompt = first.path("messages").get(0).path("content").asString();
    assertThat(first.path("enable_thinking").asBoolean()).isFalse();
    expected = Arrays.copyOf(Fixtures.ints(first.path("greedy_ids")), 8);
    CliRun.Result reg = cli.run("register", "acme/tiny", model.toString());
    assertThat(reg.code()).as(reg.err()).isZero();
  }

  @AfterEach
  void stopDaemon() throws Exception {
    if (daemon != null) {
      DaemonProcess.stop(temp.resolve("home"), java.util.Optional.empty(), Duration.ofSeconds(30));
      daemon.join(30_000);
    }
  }

  private int[] runJson(String... extra) {
    String[] args = new String[8 + extra.length];
    String[] base = {
      "run", "acme/tiny", prompt, "--no-think", "--device", "cpu", "--max-tokens", "8"
    };
    System.arraycopy(base, 0, args, 0, 8);
    System.arraycopy(extra, 0, args, 8, extra.length);
    CliRun.Result r = cli.run(args);
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode json = JsonMapper.builder().build().readTree(r.out());
    return Fixtures.ints(json.path("output_ids"));
  }

  private void startDaemonInThisJvm() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Settings settings =
        new SettingsResolver(cli.env, cli.userHome)
            .resolve(Map.of(Setting.PORT, Integer.toString(port), Setting.MEM_POOL_SIZE, "256MB"));
    CountDownLatch up = new CountDownLatch(1);
    daemon =
        Thread.ofPlatform()
            .start(
                () -> {
                  try {
                    DaemonProcess.runForeground(settings, "", s -> up.countDown());
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                });
    assertThat(up.await(60, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void runOnAStoreIdShouldGiveTransformersGreedyTokensWithAndWithoutTheDaemon() throws Exception {
    startDaemonInThisJvm();
    assertThat(runJson("--temperature", "0", "--json")).containsExactly(expected);

    CliRun.Result text =
        cli.run(
            "run",
            "acme/tiny",
            prompt,
            "--no-think",
            "--device",
            "cpu",
            "--max-tokens",
            "4",
            "--temperature",
            "0");
    assertThat(text.code()).as(text.err()).isZero();
    assertThat(text.err())
        .contains("mapped acme/tiny@local from the daemon's shared pool")
        .contains("resident")
        .contains("tokens/s");
    assertThat(cli.run("status").out()).contains("resident  acme/tiny@local");

    CliRun.Result direct =
        cli.run(
            "run",
            "acme/tiny",
            prompt,
            "--no-daemon",
            "--no-think",
            "--device",
            "cpu",
            "--max-tokens",
            "4",
            "--temperature",
            "0");
    assertThat(direct.err()).contains("loaded acme/tiny@local from the store in this process");
    assertThat(direct.out()).isEqualTo(text.out());
  }

  @Test
  void chatShouldKeepTheHistoryAcrossTurns() {
    InputStream stdin = System.in;
    try {
      System.setIn(
          new ByteArrayInputStream(
              (prompt + "\nand again?\n/exit\n").getBytes(StandardCharsets.UTF_8)));
      CliRun.Result chat =
          cli.run(
              "chat",
              "acme/tiny",
              "--no-think",
              "--device",
              "cpu",
              "--max-tokens",
              "4",
              "--temperature",
              "0");
      assertThat(chat.code()).as(chat.err()).isZero();
      assertThat(chat.out()).startsWith("> ").contains("\n> ");
      assertThat(chat.err().lines().filter(l -> l.startsWith("(4 tokens"))).hasSize(2);
    } finally {
      System.setIn(stdin);
    }
  }

  @Test
  void runWhenModelIsNeitherFolderNorStoreIdShouldSaySo() {
    CliRun.Result r = cli.run("run", "nothing-here", "hi", "--device", "cpu");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err())
        .startsWith("error: nothing-here: no such model folder or file, nor a model id");
    CliRun.Result missing = cli.run("run", "acme/none", "hi", "--device", "cpu");
    assertThat(missing.err()).startsWith("error: model acme/none is not in the store");
  }
}
