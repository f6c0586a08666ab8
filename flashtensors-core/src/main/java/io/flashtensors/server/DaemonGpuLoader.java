package io.flashtensors.server;

import com.google.protobuf.ByteString;
import io.flashtensors.cuda.CudaDevice;
import io.flashtensors.cuda.DeviceBuffer;
import io.flashtensors.format.DType;
import io.flashtensors.load.gpu.CudaBackend;
import io.flashtensors.load.gpu.ExternalGpuModels;
import io.flashtensors.load.gpu.GpuBackend;
import io.flashtensors.load.gpu.GpuLoadReport;
import io.flashtensors.load.gpu.GpuModel;
import io.flashtensors.load.gpu.LoadSource;
import io.flashtensors.memory.DeviceTensor;
import io.flashtensors.server.proto.ConfirmReply;
import io.flashtensors.server.proto.CopyChunk;
import io.flashtensors.server.proto.DeviceCopies;
import io.flashtensors.server.proto.LoadToGpuReply;
import io.flashtensors.server.proto.LoadToGpuRequest;
import io.flashtensors.server.proto.ModelLayout;
import io.flashtensors.server.proto.ModelRef;
import io.flashtensors.server.proto.TensorLocation;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import jcuda.driver.CUipcMemHandle;
import jcuda.driver.JCudaDriver;

/**
 * The client side of a GPU load through the daemon: this process allocates one device buffer per
 * partition of the model on its GPU, exports them as CUDA IPC handles, and the daemon copies the
 * partitions in from its pool. The result is a {@link GpuModel} whose tensors are views into this
 * process's buffers; closing it frees them.
 *
 * <p>If anything fails, the buffers are freed and the daemon releases what it held for the load (it
 * stops copying when the {@code Confirm} call ends early, and drops an unconfirmed load when its
 * lease runs out).
 */
public final class DaemonGpuLoader {

  private final DaemonClient client;
  private final Duration timeout;

  /**
   * @param timeout how long to wait for the copies (and for the daemon to read the model from disk
   *     when it is not resident)
   */
  public DaemonGpuLoader(DaemonClient client, Duration timeout) {
    this.client = client;
    this.timeout = timeout;
  }

  /** Loads a model of the daemon's store onto {@code device}. */
  public Loaded load(String modelId, String revision, CudaDevice device) {
    long t0 = System.nanoTime();
    ModelLayout layout = client.describe(modelId, revision);
    long described = System.nanoTime();
    List<DeviceBuffer> buffers = new ArrayList<>();
    try {
      DeviceCopies.Builder copies = DeviceCopies.newBuilder().setGpuUuid(device.uuid());
      long t1 = System.nanoTime();
      for (int p = 0; p < layout.getPartitionSizesCount(); p++) {
        long size = layout.getPartitionSizes(p);
        DeviceBuffer buffer = device.context().allocate(Math.max(size, 1));
        buffers.add(buffer);
        copies
            .addIpcHandles(ByteString.copyFrom(ipcHandle(buffer)))
            .addHandleSizes(buffer.byteSize())
            .addChunks(
                CopyChunk.newBuilder()
                    .setPartition(p)
                    .setSrcOffset(0)
                    .setSize(size)
                    .setHandleIndex(p)
                    .setDstOffset(0));
      }
      double allocateSeconds = (System.nanoTime() - t1) / 1e9;
      String replica = UUID.randomUUID().toString();
      long requesting = System.nanoTime();
      LoadToGpuReply started =
          client.loadToGpu(
              LoadToGpuRequest.newBuilder()
                  .setModel(
                      ModelRef.newBuilder()
                          .setModelId(layout.getModel().getModelId())
                          .setRevision(layout.getModel().getRevision()))
                  .setReplicaId(replica)
                  .addDevices(copies)
                  .setLeaseMillis(timeout.toMillis())
                  .build());
      long confirming = System.nanoTime();
      ConfirmReply done = client.confirm(replica, timeout);
      long confirmed = System.nanoTime();
      Map<String, DeviceTensor> tensors = new LinkedHashMap<>();
      for (TensorLocation t : layout.getTensorsList()) {
        long[] shape = t.getShapeList().stream().mapToLong(Long::longValue).toArray();
        tensors.put(
            t.getName(),
            new DeviceTensor(
                t.getName(),
                DType.valueOf(t.getDtype()),
                shape,
                device.index(),
                buffers.get(t.getPartition()).address(),
                t.getOffset(),
                t.getLength()));
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      GpuLoadReport report =
          new GpuLoadReport(
              layout.getModel().getModelId(),
              started.getCacheHit() ? LoadSource.RESIDENT : LoadSource.DISK,
              0,
              done.getBytes(),
              seconds,
              done.getHostSeconds(),
              done.getCopySeconds(),
              allocateSeconds,
              List.of(device.index()),
              null);
      List<GpuBackend.Allocation> allocations = new ArrayList<>();
      buffers.forEach(b -> allocations.add(CudaBackend.allocation(device.index(), b)));
      GpuModel model =
          ExternalGpuModels.of(
              layout.getModel().getModelId(),
              Path.of(layout.getFolder()),
              tensors,
              allocations,
              report);
      return new Loaded(
          model,
          Path.of(layout.getFolder()),
          started.getCacheHit(),
          done,
          seconds,
          new Phases(
              (described - t0) / 1e9,
              (confirming - requesting) / 1e9,
              (confirmed - confirming) / 1e9));
    } catch (RuntimeException | Error e) {
      buffers.forEach(DeviceBuffer::close);
      throw e;
    }
  }

  /**
   * A model copied in by the daemon.
   *
   * @param model the tensors on the GPU; the caller closes it
   * @param folder the model's folder in the daemon's store (config, tokenizer)
   * @param resident whether the daemon had it resident (a pure host-to-device copy)
   * @param confirm the daemon's account of the copies
   * @param seconds wall time of the whole load, allocation included
   * @param phases where this process spent that time
   */
  public record Loaded(
      GpuModel model,
      Path folder,
      boolean resident,
      ConfirmReply confirm,
      double seconds,
      Phases phases) {}

  /**
   * The client's side of a load, in seconds.
   *
   * @param describeSeconds the {@code Describe} call (the model's layout)
   * @param requestSeconds the {@code LoadToGpu} call (the daemon checks the request and starts)
   * @param confirmSeconds waiting in {@code Confirm} for the daemon's copies
   */
  public record Phases(double describeSeconds, double requestSeconds, double confirmSeconds) {}

  /** The 64 bytes of {@code cuIpcGetMemHandle} for a buffer of this process. */
  static byte[] ipcHandle(DeviceBuffer buffer) {
    buffer.context().makeCurrent();
    CUipcMemHandle handle = new CUipcMemHandle();
    CudaIpcCopier.check(
        JCudaDriver.cuIpcGetMemHandle(handle, buffer.pointer()), "cuIpcGetMemHandle");
    return IpcHandles.toBytes(handle);
  }
}
