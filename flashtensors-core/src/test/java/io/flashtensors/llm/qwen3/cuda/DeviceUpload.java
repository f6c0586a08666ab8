package io.flashtensors.llm.qwen3.cuda;

import io.flashtensors.cuda.CudaContext;
import io.flashtensors.cuda.DeviceBuffer;
import io.flashtensors.memory.DeviceTensor;
import io.flashtensors.memory.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Test helper: copies host tensors (a fixture's mapped safetensors) into one device buffer each and
 * describes them as the GPU loader would.
 */
record DeviceUpload(
    Map<String, Tensor> host, Map<String, DeviceTensor> tensors, List<DeviceBuffer> buffers)
    implements AutoCloseable {

  static DeviceUpload of(CudaContext ctx, Map<String, Tensor> host) {
    Map<String, DeviceTensor> tensors = new LinkedHashMap<>();
    List<DeviceBuffer> buffers = new ArrayList<>();
    int device = ctx.device().index();
    for (Tensor t : host.values()) {
      long bytes = t.data().byteSize();
      DeviceBuffer b = ctx.allocate(Math.max(bytes, 256));
      buffers.add(b);
      b.copyFromHost(0, t.data());
      tensors.put(
          t.name(),
          new DeviceTensor(t.name(), t.dtype(), t.shape(), device, b.address(), 0, bytes));
    }
    ctx.synchronize(); // the synchronous copies' DMA lands before other streams read the weights
    return new DeviceUpload(host, tensors, buffers);
  }

  @Override
  public void close() {
    for (DeviceBuffer b : buffers) {
      b.close();
    }
  }
}
