package io.flashtensors.cli;

import io.flashtensors.config.Setting;
import io.flashtensors.config.Settings;
import io.flashtensors.server.DaemonClient;
import io.flashtensors.server.DaemonException;
import io.flashtensors.store.ModelId;
import io.flashtensors.store.ModelStore;
import io.flashtensors.store.StoredModel;
import io.flashtensors.util.ByteSize;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code flashtensors rm ORG/NAME}: deletes a model from the store. */
@Command(
    name = "rm",
    description = {
      "Deletes a model from the store.",
      "Every revision, or one with --revision; a running daemon drops it from its pool first."
    })
final class RmCommand extends SettingsAware implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "ORG/NAME", description = "Model id.")
  String model;

  @Option(names = "--revision", description = "Only this revision.")
  String revision;

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
    List<StoredModel> doomed =
        store.list().stream()
            .filter(
                m ->
                    m.id().equals(id.toString())
                        && (revision == null || m.revision().equals(revision)))
            .toList();
    Optional<DaemonClient> daemon = RunningDaemon.connect(settings);
    try {
      for (StoredModel m : doomed) {
        daemon.ifPresent(
            c -> {
              try {
                c.unload(m.id(), m.revision());
              } catch (DaemonException e) {
                throw new IllegalStateException(
                    "cannot remove "
                        + m.displayName()
                        + " while the daemon uses it: "
                        + e.getMessage(),
                    e);
              }
            });
      }
    } finally {
      daemon.ifPresent(DaemonClient::close);
    }
    for (StoredModel m : store.remove(id, revision)) {
      out.printf("removed %s (%s)%n", m.displayName(), ByteSize.format(m.diskBytes()));
    }
    out.flush();
    return 0;
  }
}
