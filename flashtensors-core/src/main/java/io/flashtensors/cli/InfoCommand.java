package io.flashtensors.cli;

import io.flashtensors.config.Setting;
import io.flashtensors.config.Settings;
import io.flashtensors.server.DaemonClient;
import io.flashtensors.server.DaemonException;
import io.flashtensors.server.proto.ModelSummary;
import io.flashtensors.store.ModelId;
import io.flashtensors.store.ModelStore;
import io.flashtensors.store.StoredModel;
import io.flashtensors.util.ByteSize;
import java.io.PrintWriter;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code flashtensors info ORG/NAME}: one model of the store in detail. */
@Command(
    name = "info",
    description =
        "Shows a model of the store: source, size, dtypes, partitions, folder, residency.")
final class InfoCommand extends SettingsAware implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "ORG/NAME", description = "Model id.")
  String model;

  @Option(names = "--revision", description = "Revision (default: the one registered last).")
  String revision;

  @Mixin StorageOption storage;

  @Option(names = "--json", description = "Print it as JSON.")
  boolean json;

  @Override
  protected void addFlags(Map<Setting, String> flags) {
    storage.addTo(flags);
  }

  @Override
  public Integer call() throws Exception {
    Settings settings = settings();
    PrintWriter out = spec.commandLine().getOut();
    ModelStore store = ModelStore.open(settings.storagePath());
    StoredModel m = store.get(ModelId.parse(model), revision);
    String folder = store.folder(m).toString();
    Optional<ModelSummary> daemon = residency(settings, m);
    String resident =
        daemon.isEmpty()
            ? "unknown (no daemon running)"
            : daemon.get().getResidency().getHostResident()
                ? "host pool of the daemon, "
                    + ByteSize.format(daemon.get().getResidency().getHostBytes())
                    + (daemon.get().getResidency().getInUse() > 0
                        ? ", in use by " + daemon.get().getResidency().getInUse()
                        : "")
                : "not resident (on disk only)";
    if (json) {
      Map<String, Object> row = Json.model(m);
      row.put("path", folder);
      row.put("resident", resident);
      out.println(Json.MAPPER.writeValueAsString(row));
      out.flush();
      return 0;
    }
    out.printf("id          %s%n", m.id());
    out.printf("revision    %s%n", m.revision());
    if (!m.commit().isEmpty()) {
      out.printf("commit      %s%n", m.commit());
    }
    out.printf("source      %s%n", m.source());
    out.printf("registered  %s%n", m.registeredAt());
    out.printf(
        "size        %s of weights (%,d bytes), %s on disk%n",
        ByteSize.format(m.tensorBytes()), m.tensorBytes(), ByteSize.format(m.diskBytes()));
    out.printf("dtype       %s%n", String.join(", ", m.dtypes()));
    out.printf("tensors     %d%n", m.tensors());
    out.printf("partitions  %d%n", m.partitions());
    out.printf("path        %s%n", folder);
    if (m.keptSource()) {
      out.printf("safetensors %s/safetensors%n", folder);
    }
    out.printf("resident    %s%n", resident);
    out.flush();
    return 0;
  }

  private static Optional<ModelSummary> residency(Settings settings, StoredModel m) {
    Optional<DaemonClient> client = RunningDaemon.connect(settings);
    if (client.isEmpty()) {
      return Optional.empty();
    }
    try (DaemonClient c = client.get()) {
      return c.list().getModelsList().stream()
          .filter(s -> s.getModelId().equals(m.id()) && s.getRevision().equals(m.revision()))
          .findFirst();
    } catch (DaemonException e) {
      return Optional.empty();
    }
  }
}
