package io.flashtensors.cli;

import io.flashtensors.config.Setting;
import io.flashtensors.config.Settings;
import io.flashtensors.config.SettingsResolver;
import java.util.EnumMap;
import java.util.Map;

/**
 * A command that reads the flashtensors configuration. The command line hands it the resolver (over
 * this process's environment, or a test's), and the command adds its flags, which win.
 */
abstract class SettingsAware {

  private SettingsResolver resolver = SettingsResolver.system();

  final void useResolver(SettingsResolver resolver) {
    this.resolver = resolver;
  }

  /** The resolver: home folder, config file and environment. */
  final SettingsResolver resolver() {
    return resolver;
  }

  /** The settings with this command's flags applied. */
  final Settings settings() {
    Map<Setting, String> flags = new EnumMap<>(Setting.class);
    addFlags(flags);
    return resolver.resolve(flags);
  }

  /** Puts the flags the user gave (non-null ones only). */
  protected void addFlags(Map<Setting, String> flags) {}

  static void put(Map<Setting, String> flags, Setting setting, Object value) {
    if (value != null) {
      flags.put(setting, value.toString());
    }
  }
}
