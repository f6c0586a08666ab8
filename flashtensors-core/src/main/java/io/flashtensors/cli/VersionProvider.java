package io.flashtensors.cli;

import picocli.CommandLine.IVersionProvider;

/** Reports the version from the jar manifest, or "development" when run from classes. */
final class VersionProvider implements IVersionProvider {

  @Override
  public String[] getVersion() {
    String version = FlashTensorsCli.class.getPackage().getImplementationVersion();
    return new String[] {
      "flashtensors " + (version == null ? "development" : version), "Java " + Runtime.version()
    };
  }
}
