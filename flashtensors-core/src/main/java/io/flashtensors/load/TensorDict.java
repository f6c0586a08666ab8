package io.flashtensors.load;

import io.flashtensors.format.FlashLayout;
import io.flashtensors.load.gpu.GpuLoader;
import io.flashtensors.load.gpu.GpuModel;
import io.flashtensors.memory.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The tensor-dict API of the Python flashtensors ({@code save_dict} / {@code load_dict}): save a
 * map of tensors as a flash layout folder, and load it back onto the devices of a device map.
 *
 * <pre>{@code
 * TensorDict.save(Map.of("w", tensor), Path.of("/models/demo"));
 * try (LoadedModel m = TensorDict.load(Path.of("/models/demo"), DeviceMap.cpu())) {
 *   Tensor w = m.tensor("w");
 * }
 * }</pre>
 */
public final class TensorDict {

  private TensorDict() {}

  /** Saves {@code tensors} (keys are the names) as a flash layout in {@code folder}, atomically. */
  public static void save(Map<String, Tensor> tensors, Path folder) throws IOException {
    FlashLayout.save(tensors, folder);
  }

  /** Loads the tensors of {@code folder} with the default loader. */
  public static LoadedModel load(Path folder, DeviceMap deviceMap) throws IOException {
    return load(folder, deviceMap, FlashLoader.create());
  }

  /** Loads the tensors of {@code folder} with {@code loader}. */
  public static LoadedModel load(Path folder, DeviceMap deviceMap, FlashLoader loader)
      throws IOException {
    return loader.load(folder, deviceMap);
  }

  /**
   * {@code load_dict} onto GPUs: loads the tensors of {@code folder} onto the GPUs of {@code
   * deviceMap} (such as {@code {"": 0}} or a per-layer map) with {@code gpu}, and waits until every
   * copy is confirmed.
   */
  public static GpuModel load(Path folder, DeviceMap deviceMap, GpuLoader gpu) throws IOException {
    return gpu.loadDict(folder, deviceMap);
  }
}
