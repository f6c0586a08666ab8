package io.flashtensors.cli;

import io.flashtensors.config.Setting;
import io.flashtensors.config.Settings;
import io.flashtensors.store.FlashModelConverter;
import io.flashtensors.store.ModelId;
import io.flashtensors.store.ModelStore;
import io.flashtensors.store.RegisterOptions;
import io.flashtensors.store.Revisions;
import io.flashtensors.store.StoredModel;
import io.flashtensors.util.ByteSize;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code flashtensors register ORG/NAME FOLDER}: a local Hugging Face folder into the store. */
@Command(
    name = "register",
    description = {
      "Converts a local Hugging Face model folder into the store under an id.",
      "No network needed. Registering the same unchanged folder again does nothing."
    })
final class RegisterCommand extends SettingsAware implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "ORG/NAME", description = "Id to register it under.")
  String model;

  @Parameters(
      index = "1",
      paramLabel = "FOLDER",
      description = "Folder with the safetensors files.")
  Path folder;

  @Option(names = "--revision", description = "Revision name (default local).")
  String revision;

  @Option(
      names = "--keep-safetensors",
      description = "Keep a copy of the safetensors beside the model.")
  boolean keepSafetensors;

  @Option(names = "--force", description = "Convert again even when the folder has not changed.")
  boolean force;

  @Mixin StorageOption storage;

  @Override
  protected void addFlags(Map<Setting, String> flags) {
    storage.addTo(flags);
  }

  @Override
  public Integer call() {
    Settings settings = settings();
    PrintWriter out = spec.commandLine().getOut();
    ModelId id = ModelId.parse(model);
    ModelStore store = ModelStore.open(settings.storagePath());
    ProgressBar progress = ProgressBar.on(spec.commandLine().getErr());
    long t0 = System.nanoTime();
    StoredModel m;
    try {
      m =
          store.register(
              id,
              revision == null ? Revisions.DEFAULT_LOCAL : revision,
              folder,
              new FlashModelConverter(),
              RegisterOptions.local().withForce(force).withKeepSource(keepSafetensors),
              progress);
    } finally {
      progress.finish();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    out.printf(
        "registered %s: %d tensors, %s of %s weights in %d partition%s (%.1f s)%n",
        m.displayName(),
        m.tensors(),
        ByteSize.format(m.tensorBytes()),
        String.join("/", m.dtypes()),
        m.partitions(),
        m.partitions() == 1 ? "" : "s",
        seconds);
    out.flush();
    return 0;
  }
}
