package io.flashtensors.cli;

import io.flashtensors.config.Setting;
import io.flashtensors.config.Settings;
import io.flashtensors.server.DaemonClient;
import io.flashtensors.server.DaemonException;
import io.flashtensors.server.proto.ModelSummary;
import io.flashtensors.store.ModelStore;
import io.flashtensors.store.StoredModel;
import io.flashtensors.util.ByteSize;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code flashtensors list}: the models of the store. */
@Command(
    name = "list",
    description = {
      "Lists the models of the store.",
      "With their size, dtypes and partitions, and whether they are resident in the daemon's pool."
    })
final class ListCommand extends SettingsAware implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin StorageOption storage;

  @Option(names = "--json", description = "One JSON object per model, one per line.")
  boolean json;

  /** Whether a daemon answered (so "no" means "not resident" rather than "unknown"). */
  private boolean daemonSeen;

  @Override
  protected void addFlags(Map<Setting, String> flags) {
    storage.addTo(flags);
  }

  @Override
  public Integer call() throws Exception {
    Settings settings = settings();
    PrintWriter out = spec.commandLine().getOut();
    List<StoredModel> models = ModelStore.open(settings.storagePath()).list();
    Map<String, ModelSummary> resident = residency(settings);
    if (json) {
      for (StoredModel m : models) {
        Map<String, Object> row = Json.model(m);
        ModelSummary s = resident.get(m.displayName());
        row.put("host_resident", s != null && s.getResidency().getHostResident());
        out.println(Json.MAPPER.writeValueAsString(row));
      }
      out.flush();
      return 0;
    }
    if (models.isEmpty()) {
      out.println(
          "no models in " + settings.storagePath() + " (`flashtensors pull ORG/NAME` adds one)");
      out.flush();
      return 0;
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"MODEL", "REVISION", "SIZE", "DTYPE", "PARTS", "RESIDENT"});
    for (StoredModel m : models) {
      ModelSummary s = resident.get(m.displayName());
      rows.add(
          new String[] {
            m.id(),
            m.revision(),
            ByteSize.format(m.tensorBytes()),
            String.join("/", m.dtypes()),
            Integer.toString(m.partitions()),
            resident.isEmpty() && !daemonSeen
                ? "-"
                : s != null && s.getResidency().getHostResident()
                    ? s.getResidency().getInUse() > 0 ? "host, in use" : "host"
                    : "no"
          });
    }
    Table.print(out, rows);
    out.flush();
    return 0;
  }

  private Map<String, ModelSummary> residency(Settings settings) {
    Map<String, ModelSummary> byName = new HashMap<>();
    Optional<DaemonClient> client = RunningDaemon.connect(settings);
    if (client.isEmpty()) {
      return byName;
    }
    try (DaemonClient c = client.get()) {
      for (ModelSummary s : c.list().getModelsList()) {
        byName.put(s.getModelId() + "@" + s.getRevision(), s);
      }
      daemonSeen = true;
    } catch (DaemonException e) {
      // The store is what matters; residency is a bonus.
    }
    return byName;
  }
}
