package io.flashtensors.cli;

import io.flashtensors.config.Settings;
import io.flashtensors.server.DaemonClient;
import io.flashtensors.server.DaemonProcess;
import java.util.Optional;

/** The daemon of the flashtensors home folder, when one runs. */
final class RunningDaemon {

  private RunningDaemon() {}

  /** A client of the running daemon; empty when none runs. The caller closes it. */
  static Optional<DaemonClient> connect(Settings settings) {
    return DaemonProcess.find(settings.home())
        .map(s -> DaemonClient.connect(s.connectHost(), s.port(), settings.token()));
  }
}
