package io.flashtensors.server;

import com.google.protobuf.ByteString;
import io.flashtensors.cuda.Cuda;
import io.flashtensors.cuda.CudaDevice;
import io.flashtensors.cuda.DeviceBuffer;
import io.flashtensors.load.gpu.GpuBackend;
import io.flashtensors.load.gpu.GpuModel;
import io.flashtensors.memory.DeviceTensor;
import io.flashtensors.server.proto.CopyChunk;
import io.flashtensors.server.proto.DeviceCopies;
import io.flashtensors.server.proto.LoadToGpuRequest;
import io.flashtensors.server.proto.ModelLayout;
import io.flashtensors.server.proto.ModelRef;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * The second process of the CUDA IPC test: loads a model through the daemon into its own GPU memory
 * and prints each tensor's SHA-256 as read back from the GPU; or ("die") starts a load and exits at
 * once without confirming it.
 *
 * <p>Arguments: port, model id, mode ({@code load} or {@code die}), loads (for {@code load}).
 */
public final class IpcClientMain {

  private IpcClientMain() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    String model = args[1];
    CudaDevice gpu = Cuda.device(0);
    try (DaemonClient client = DaemonClient.connect("127.0.0.1", port, Optional.empty())) {
      if (args[2].equals("die")) {
        ModelLayout layout = client.describe(model, null);
        DeviceCopies.Builder copies = DeviceCopies.newBuilder().setGpuUuid(gpu.uuid());
        for (int p = 0; p < layout.getPartitionSizesCount(); p++) {
          DeviceBuffer b = gpu.context().allocate(layout.getPartitionSizes(p));
          copies
              .addIpcHandles(ByteString.copyFrom(DaemonGpuLoader.ipcHandle(b)))
              .addHandleSizes(b.byteSize())
              .addChunks(
                  CopyChunk.newBuilder()
                      .setPartition(p)
                      .setSize(layout.getPartitionSizes(p))
                      .setHandleIndex(p));
        }
        client.loadToGpu(
            LoadToGpuRequest.newBuilder()
                .setModel(ModelRef.newBuilder().setModelId(model))
                .setReplicaId("dying-client")
                .setLeaseMillis(1000)
                .addDevices(copies)
                .build());
        System.out.println("started");
        System.out.flush();
        Runtime.getRuntime().halt(0); // no Confirm, no cleanup: as if killed
      }
      int loads = Integer.parseInt(args[3]);
      DaemonGpuLoader loader = new DaemonGpuLoader(client, Duration.ofMinutes(2));
      for (int i = 0; i < loads; i++) {
        DaemonGpuLoader.Loaded loaded = loader.load(model, null, gpu);
        try (GpuModel m = loaded.model();
            Arena arena = Arena.ofConfined()) {
          for (Map.Entry<String, DeviceTensor> e : m.tensors().entrySet()) {
            DeviceTensor t = e.getValue();
            GpuBackend.Allocation a =
                m.allocations().stream()
                    .filter(x -> x.address() == t.pointer())
                    .findFirst()
                    .orElseThrow();
            MemorySegment host = arena.allocate(Math.max(1, t.byteSize())).asSlice(0, t.byteSize());
            a.copyToHost(t.offset(), host);
            System.out.println("tensor\t" + e.getKey() + "\t" + sha256(host));
          }
          System.out.printf(
              java.util.Locale.ROOT,
              "load\t%.4f\t%b\t%.4f\t%d%n",
              loaded.seconds(),
              loaded.resident(),
              loaded.confirm().getCopySeconds(),
              loaded.confirm().getBytes());
        }
      }
    }
  }

  static String sha256(MemorySegment s) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    md.update(s.asByteBuffer());
    return HexFormat.of().formatHex(md.digest());
  }
}
