package io.flashtensors.cli;

import io.flashtensors.config.Settings;
import io.flashtensors.server.DaemonProcess;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code flashtensors stop}: stops the daemon cleanly. */
@Command(
    name = "stop",
    description = {
      "Stops the flashtensors daemon: it finishes the calls in progress, frees its pool and exits.",
      "Models stay in the store; only the resident cache is lost."
    })
final class StopCommand extends SettingsAware implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    Settings settings = settings();
    PrintWriter out = spec.commandLine().getOut();
    Optional<DaemonProcess.State> stopped =
        DaemonProcess.stop(settings.home(), settings.token(), Duration.ofSeconds(60));
    if (stopped.isEmpty()) {
      out.println("no flashtensors daemon is running");
    } else {
      out.println(
          "stopped the flashtensors daemon (" + DaemonProcess.describe(stopped.get()) + ")");
    }
    out.flush();
    return 0;
  }
}
