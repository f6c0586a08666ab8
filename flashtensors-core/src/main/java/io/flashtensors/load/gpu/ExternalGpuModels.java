package io.flashtensors.load.gpu;

import io.flashtensors.memory.DeviceTensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@link GpuModel}s over device memory that something other than a {@link GpuLoader} filled, such
 * as allocations of this process that the daemon copied a model into through CUDA IPC. Closing the
 * model closes the allocations.
 */
public final class ExternalGpuModels {

  private ExternalGpuModels() {}

  /**
   * @param tensors views into {@code allocations}
   * @param allocations the device memory the tensors live in; the model owns it
   * @param report what bringing the model in did
   */
  public static GpuModel of(
      String modelId,
      Path source,
      Map<String, DeviceTensor> tensors,
      List<GpuBackend.Allocation> allocations,
      GpuLoadReport report) {
    List<GpuBackend.Allocation> owned = List.copyOf(allocations);
    return new GpuModel(
        modelId, source, tensors, owned, report, () -> owned.forEach(GpuBackend.Allocation::close));
  }
}
