package io.flashtensors;

import io.flashtensors.server.proto.ModelSummary;
import io.flashtensors.store.StoredModel;
import java.nio.file.Path;
import java.util.List;

/**
 * A model of the store, as {@link FlashTensors#modelInfo} and {@link FlashTensors#listModels}
 * describe it.
 *
 * @param id {@code org/name}
 * @param revision the revision name
 * @param commit the Hub commit; empty for local folders
 * @param sizeBytes bytes of weights
 * @param dtypes tensor dtypes
 * @param partitions data partitions of its flash layout
 * @param tensors number of tensors
 * @param path its folder in the store
 * @param residency {@code daemon pool}, {@code disk}, or {@code unknown} when no daemon runs
 */
public record ModelInfo(
    String id,
    String revision,
    String commit,
    long sizeBytes,
    List<String> dtypes,
    int partitions,
    int tensors,
    Path path,
    String residency) {

  static ModelInfo of(StoredModel m, Path folder, ModelSummary daemon, boolean daemonRuns) {
    String residency =
        !daemonRuns
            ? "unknown"
            : daemon != null && daemon.getResidency().getHostResident() ? "daemon pool" : "disk";
    return new ModelInfo(
        m.id(),
        m.revision(),
        m.commit(),
        m.tensorBytes(),
        m.dtypes(),
        m.partitions(),
        m.tensors(),
        folder,
        residency);
  }
}
