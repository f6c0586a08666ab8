package io.flashtensors.cli;

import io.flashtensors.config.Setting;
import java.util.Map;
import picocli.CommandLine.Option;

/** The {@code --storage-path} flag of every command that uses the model store. */
final class StorageOption {

  @Option(names = "--storage-path", paramLabel = "PATH", description = "Model store folder.")
  String storagePath;

  /** Puts the flag, when given, among the flags the settings are resolved with. */
  void addTo(Map<Setting, String> flags) {
    SettingsAware.put(flags, Setting.STORAGE_PATH, storagePath);
  }
}
