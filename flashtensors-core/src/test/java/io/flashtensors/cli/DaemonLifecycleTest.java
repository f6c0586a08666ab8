package io.flashtensors.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashtensors.server.DaemonClient;
import io.flashtensors.server.DaemonProcess;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** start, status, stop with a real daemon process in the background. */
class DaemonLifecycleTest {

  @TempDir Path temp;
  CliRun cli;

  @AfterEach
  void stopLeftovers() {
    if (cli != null) {
      DaemonProcess.find(temp.resolve("home"))
          .flatMap(s -> ProcessHandle.of(s.pid()))
          .ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void startStatusStopShouldManageOneBackgroundDaemon() throws Exception {
    cli = new CliRun(temp);
    Path folder = temp.resolve("src");
    Files.createDirectories(folder);
    StoreCommandsTest.writeModel(folder.resolve("model.safetensors"), 3);
    int port = freePort();

    CliRun.Result start =
        cli.run("start", "--port", Integer.toString(port), "--mem-pool-size", "64MB");
    assertThat(start.code()).as(start.out() + start.err()).isZero();
    assertThat(start.out()).startsWith("flashtensors daemon started").contains("127.0.0.1:" + port);
    DaemonProcess.State state = DaemonProcess.find(temp.resolve("home")).orElseThrow();
    assertThat(ProcessHandle.of(state.pid())).isPresent();
    assertThat(temp.resolve("home/daemon.log")).exists();

    CliRun.Result twice = cli.run("start", "--port", Integer.toString(freePort()));
    assertThat(twice.code()).isEqualTo(1);
    assertThat(twice.err())
        .startsWith("error: a flashtensors daemon is running already (pid " + state.pid());

    CliRun.Result status = cli.run("status");
    assertThat(status.code()).isZero();
    assertThat(status.out())
        .startsWith("flashtensors daemon: running")
        .contains("pid       " + state.pid())
        .contains("pool      0 B of 64.0 MiB used")
        .contains("resident  none");

    cli.run("register", "acme/tiny", folder.toString());
    assertThat(cli.run("list").out()).contains("acme/tiny").containsPattern("acme/tiny .* no\\n");
    try (DaemonClient client = DaemonClient.connect("127.0.0.1", port, Optional.empty())) {
      assertThat(client.loadToHost("acme/tiny", null).getCacheHit()).isFalse();
    }
    assertThat(cli.run("list").out()).containsPattern("acme/tiny .* host\\n");
    assertThat(cli.run("info", "acme/tiny").out()).contains("resident    host pool of the daemon");
    assertThat(cli.run("status", "--json").out())
        .contains("\"running\":true")
        .contains("\"id\":\"acme/tiny\"");

    CliRun.Result stop = cli.run("stop");
    assertThat(stop.out()).startsWith("stopped the flashtensors daemon (pid " + state.pid());
    assertThat(ProcessHandle.of(state.pid()).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    assertThat(temp.resolve("home/daemon.json")).doesNotExist();
    assertThat(cli.run("status").code()).isEqualTo(StatusCommand.NOT_RUNNING);
  }

  @Test
  void statusWhenDaemonWasKilledShouldNotBelieveItsStaleFiles() throws Exception {
    cli = new CliRun(temp);
    int port = freePort();
    assertThat(cli.run("start", "--port", Integer.toString(port), "--mem-pool-size", "16MB").code())
        .isZero();
    DaemonProcess.State state = DaemonProcess.find(temp.resolve("home")).orElseThrow();

    ProcessHandle daemon = ProcessHandle.of(state.pid()).orElseThrow();
    daemon.destroyForcibly();
    daemon.onExit().get(30, TimeUnit.SECONDS);

    assertThat(temp.resolve("home/daemon.json")).as("left by the kill").exists();
    assertThat(cli.run("status").out()).isEqualTo("flashtensors daemon: not running\n");
    assertThat(temp.resolve("home/daemon.json")).doesNotExist();
    CliRun.Result again =
        cli.run("start", "--port", Integer.toString(port), "--mem-pool-size", "16MB");
    assertThat(again.code()).as(again.err()).isZero();
    assertThat(cli.run("stop").code()).isZero();
  }

  @Test
  void startWhenPortIsTakenShouldReportTheLog() throws Exception {
    cli = new CliRun(temp);
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      CliRun.Result start =
          cli.run(
              "start", "--port", Integer.toString(taken.getLocalPort()), "--mem-pool-size", "16MB");
      assertThat(start.code()).isEqualTo(1);
      assertThat(start.err())
          .startsWith("error: the daemon exited at start")
          .contains("cannot listen on 127.0.0.1:" + taken.getLocalPort());
    }
    assertThat(DaemonProcess.find(temp.resolve("home"))).isEmpty();
  }
}
