package io.flashtensors.cli;

import io.flashtensors.FlashTensors;
import io.flashtensors.config.SettingsResolver;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * How {@code run} and {@code chat} open a model: the device, CPU threads, and the daemon or not.
 */
final class EngineOptions {

  @Option(
      names = "--device",
      defaultValue = "auto",
      description =
          "Where to run: cpu, cuda, cuda:N (or a GPU UUID), or auto: the GPU when one can be used,"
              + " else the CPU (default: ${DEFAULT-VALUE}).")
  String device;

  @Option(
      names = "--threads",
      paramLabel = "N",
      description = "CPU threads (default: one per available processor).")
  Integer threads;

  @Option(
      names = "--no-daemon",
      description = "Load in this process even when a daemon runs (store models only).")
  boolean noDaemon;

  /**
   * Opens {@code model} (a store id, a folder or a file) as these options say; notices (such as
   * falling back to the CPU) go to {@code err}.
   */
  FlashTensors.Opened open(
      SettingsResolver resolver, Path storagePath, String model, PrintWriter err)
      throws IOException {
    FlashTensors flash =
        FlashTensors.configure(resolver)
            .storagePath(storagePath)
            .device(device)
            .useDaemon(!noDaemon)
            .notices(n -> err.println("notice: " + n))
            .build();
    return flash.open(model, 0, threads == null ? 0 : threads);
  }

  /** Refuses option values that cannot work, before anything is loaded. */
  void check() {
    if (threads != null && threads < 1) {
      throw new IllegalArgumentException("--threads must be at least 1");
    }
  }
}
