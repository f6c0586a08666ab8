package io.flashtensors.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.flashtensors.config.Setting;
import io.flashtensors.config.Settings;
import io.flashtensors.config.SettingsResolver;
import io.flashtensors.format.FlashManifest;
import io.flashtensors.load.FlashLoader;
import io.flashtensors.server.proto.CopyChunk;
import io.flashtensors.server.proto.DeviceCopies;
import io.flashtensors.server.proto.ListReply;
import io.flashtensors.server.proto.LoadToGpuRequest;
import io.flashtensors.server.proto.LoadToHostReply;
import io.flashtensors.server.proto.ModelLayout;
import io.flashtensors.server.proto.ModelRef;
import io.flashtensors.server.proto.StatusReply;
import io.flashtensors.store.ModelStore;
import io.flashtensors.store.StoredModel;
import io.flashtensors.testing.Await;
import io.grpc.Status;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon's RPCs end to end over in-process gRPC, with a simulated GPU. */
class DaemonTest {

  @TempDir Path temp;
  DaemonServer server;
  DaemonClient client;
  FakeGpu gpu = new FakeGpu();
  ModelStore store;
  HostModelCache cache;
  AtomicBoolean shutdownRan = new AtomicBoolean();
  String serverName;

  Settings settings(Map<Setting, String> flags) {
    Map<Setting, String> all = new HashMap<>(flags);
    all.putIfAbsent(Setting.STORAGE_PATH, temp.resolve("store").toString());
    return new SettingsResolver(Map.of("FLASHTENSORS_HOME", temp.resolve("home").toString()), temp)
        .resolve(all);
  }

  void start(long poolBytes, Map<Setting, String> flags) throws IOException {
    Settings s = settings(flags);
    store = ModelStore.open(s.storagePath());
    cache =
        new HostModelCache(poolBytes, FlashLoader.builder().threads(2).build(), HostPinning.NONE);
    String name = "daemon-" + UUID.randomUUID();
    serverName = name;
    server =
        DaemonServer.builder(s)
            .inProcess(name)
            .host(cache)
            .copier(Optional.of(gpu), "")
            .leases(Duration.ofMinutes(10), Duration.ofMillis(20))
            .onShutdown(() -> shutdownRan.set(true))
            .start();
    client = DaemonClient.inProcess(name, s.token());
  }

  @AfterEach
  void tearDown() {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private static byte[] partitionBytes(Path folder, FlashManifest.Partition p) throws IOException {
    try (FileChannel ch = FileChannel.open(folder.resolve(p.path()), StandardOpenOption.READ)) {
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate((int) ch.size());
      while (b.hasRemaining() && ch.read(b) >= 0) {}
      return b.array();
    }
  }

  /** A GPU load that copies every partition into an allocation of its own, in 4 KiB chunks. */
  private LoadToGpuRequest gpuLoad(ModelLayout layout, List<byte[]> handles, long leaseMillis) {
    DeviceCopies.Builder device = DeviceCopies.newBuilder().setGpuUuid(FakeGpu.UUID);
    for (int p = 0; p < layout.getPartitionSizesCount(); p++) {
      long size = layout.getPartitionSizes(p);
      byte[] handle = gpu.allocate(size);
      handles.add(handle);
      device.addIpcHandles(ByteString.copyFrom(handle)).addHandleSizes(size);
      for (long off = 0; off < size; off += 4096) {
        device.addChunks(
            CopyChunk.newBuilder()
                .setPartition(p)
                .setSrcOffset(off)
                .setSize(Math.min(4096, size - off))
                .setHandleIndex(p)
                .setDstOffset(off));
      }
    }
    return LoadToGpuRequest.newBuilder()
        .setModel(
            ModelRef.newBuilder()
                .setModelId(layout.getModel().getModelId())
                .setRevision(layout.getModel().getRevision()))
        .setReplicaId(UUID.randomUUID().toString())
        .addDevices(device)
        .setLeaseMillis(leaseMillis)
        .build();
  }

  @Test
  void statusShouldDescribeTheDaemonAndItsPool() throws IOException {
    start(64L << 20, Map.of());
    StatusReply s = client.status();
    assertThat(s.getPid()).isEqualTo(ProcessHandle.current().pid());
    assertThat(s.getPoolBytes()).isEqualTo(64L << 20);
    assertThat(s.getPoolUsedBytes()).isZero();
    assertThat(s.getStoragePath()).isEqualTo(store.root().toString());
    assertThat(s.getCudaAvailable()).isTrue();
    assertThat(s.getGpusList()).extracting(g -> g.getUuid()).containsExactly(FakeGpu.UUID);
  }

  @Test
  void loadToHostShouldReadOnceThenHitTheCacheAndListShowResidency() throws IOException {
    start(64L << 20, Map.of());
    StoredModel m = TestModels.register(store, temp, "t/one", 3, 8, 1);

    LoadToHostReply first = client.loadToHost("t/one", null);
    LoadToHostReply second = client.loadToHost("t/one", "main");

    assertThat(first.getCacheHit()).isFalse();
    assertThat(second.getCacheHit()).isTrue();
    assertThat(first.getBytes()).isEqualTo(FlashManifest.read(store.folder(m)).partitionBytes());
    ListReply list = client.list();
    assertThat(list.getModelsList()).hasSize(1);
    assertThat(list.getModels(0).getResidency().getHostResident()).isTrue();
    assertThat(list.getModels(0).getResidency().getInUse()).isZero();
    assertThat(list.getModels(0).getDtypesList()).containsExactly("BF16");
    assertThat(client.status().getPoolUsedBytes()).isEqualTo(first.getBytes());
  }

  @Test
  void loadToGpuShouldCopyEveryPartitionByteForByteAndReleaseOnConfirm() throws IOException {
    start(64L << 20, Map.of());
    StoredModel m = TestModels.register(store, temp, "t/gpu", 4, 16, 2);
    ModelLayout layout = client.describe("t/gpu", null);
    FlashManifest manifest = FlashManifest.read(store.folder(m));
    assertThat(layout.getTensorsCount()).isEqualTo(manifest.tensors().size());
    assertThat(layout.getPartitionSizesList())
        .containsExactlyElementsOf(manifest.partitions().stream().map(p -> p.size()).toList());

    List<byte[]> handles = new java.util.ArrayList<>();
    LoadToGpuRequest request = gpuLoad(layout, handles, 0);
    var started = client.loadToGpu(request);
    var confirmed = client.confirm(request.getReplicaId(), Await.PATIENCE);

    assertThat(started.getCacheHit()).isFalse();
    assertThat(confirmed.getBytes()).isEqualTo(manifest.partitionBytes());
    for (int p = 0; p < manifest.partitions().size(); p++) {
      byte[] expected = partitionBytes(store.folder(m), manifest.partitions().get(p));
      assertThat(gpu.memory(handles.get(p)).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))
          .isEqualTo(expected);
    }
    assertThat(gpu.closed.get()).isEqualTo(gpu.opened.get()).isEqualTo(handles.size());
    assertThat(server.daemon().pendingReplicas()).isZero();
    assertThat(cache.inUse("t/gpu@main")).isFalse();
    assertThatThrownBy(() -> client.confirm(request.getReplicaId(), Await.PATIENCE))
        .isInstanceOf(DaemonException.class)
        .hasMessageContaining("no replica");
  }

  @Test
  void loadToGpuWhenRequestIsOutOfBoundsShouldRefuseIt() throws IOException {
    start(64L << 20, Map.of());
    TestModels.register(store, temp, "t/b", 1, 8, 3);
    ModelLayout layout = client.describe("t/b", null);
    long size = layout.getPartitionSizes(0);
    byte[] handle = gpu.allocate(size);
    LoadToGpuRequest.Builder base =
        LoadToGpuRequest.newBuilder()
            .setModel(ModelRef.newBuilder().setModelId("t/b"))
            .setReplicaId("r1");
    DeviceCopies.Builder device =
        DeviceCopies.newBuilder()
            .setGpuUuid(FakeGpu.UUID)
            .addIpcHandles(ByteString.copyFrom(handle))
            .addHandleSizes(size - 4096);

    assertThatThrownBy(
            () ->
                client.loadToGpu(
                    base.clone()
                        .addDevices(
                            device
                                .clone()
                                .addChunks(
                                    CopyChunk.newBuilder()
                                        .setPartition(0)
                                        .setSize(size)
                                        .setHandleIndex(0)))
                        .build()))
        .isInstanceOf(DaemonException.class)
        .hasMessageContaining("passes the end of allocation 0")
        .extracting(e -> ((DaemonException) e).code())
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThatThrownBy(
            () ->
                client.loadToGpu(
                    base.clone()
                        .addDevices(
                            device
                                .clone()
                                .addChunks(CopyChunk.newBuilder().setPartition(7).setSize(1)))
                        .build()))
        .hasMessageContaining("chunk names partition 7; the model has 1");
    assertThatThrownBy(
            () ->
                client.loadToGpu(
                    base.clone()
                        .addDevices(
                            device
                                .clone()
                                .addChunks(
                                    CopyChunk.newBuilder()
                                        .setPartition(0)
                                        .setSrcOffset(size - 10)
                                        .setSize(20)))
                        .build()))
        .hasMessageContaining("passes the end of partition 0");
    assertThatThrownBy(
            () ->
                client.loadToGpu(
                    base.clone()
                        .addDevices(
                            DeviceCopies.newBuilder()
                                .setGpuUuid(FakeGpu.UUID)
                                .addIpcHandles(ByteString.copyFrom(new byte[12]))
                                .addHandleSizes(size))
                        .build()))
        .hasMessageContaining("has 12 bytes, not 64");
    assertThat(server.daemon().pendingReplicas()).isZero();
  }

  @Test
  void requestsShouldNameModelsByValidIdsOfTheStore() throws IOException {
    start(64L << 20, Map.of());
    assertThatThrownBy(() -> client.loadToHost("../etc", null))
        .isInstanceOf(DaemonException.class)
        .hasMessageContaining("is not a model id")
        .extracting(e -> ((DaemonException) e).code())
        .isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThatThrownBy(() -> client.loadToHost("/tmp/x", null))
        .hasMessageContaining("is not a model id");
    assertThatThrownBy(() -> client.describe("no/such", null))
        .hasMessageContaining("model no/such is not in the store")
        .extracting(e -> ((DaemonException) e).code())
        .isEqualTo(Status.Code.NOT_FOUND);
  }

  @Test
  void replicaWhenNeverConfirmedShouldBeReleasedWhenItsLeaseRunsOut() throws Exception {
    start(64L << 20, Map.of());
    TestModels.register(store, temp, "t/lease", 2, 8, 4);
    ModelLayout layout = client.describe("t/lease", null);
    LoadToGpuRequest request = gpuLoad(layout, new java.util.ArrayList<>(), 100);

    client.loadToGpu(request);
    // Reaped, and its worker (which may start after the reaper ran) finished releasing.
    Await.until(
        "the replica to be reaped and its worker to end",
        () -> server.daemon().pendingReplicas() == 0 && server.daemon().runningWorkers() == 0);

    assertThat(server.daemon().pendingReplicas()).isZero();
    assertThat(cache.inUse("t/lease@main")).isFalse();
    assertThat(gpu.closed.get()).isEqualTo(gpu.opened.get());
    assertThatThrownBy(() -> client.confirm(request.getReplicaId(), Await.PATIENCE))
        .hasMessageContaining("its lease ran out");
  }

  @Test
  void replicaWhenClientGoesAwayMidCopyShouldStopAndReleaseEverything() throws Exception {
    start(64L << 20, Map.of());
    TestModels.register(store, temp, "t/gone", 2, 64, 5);
    ModelLayout layout = client.describe("t/gone", null);
    LoadToGpuRequest request = gpuLoad(layout, new java.util.ArrayList<>(), 0);
    int chunks = request.getDevices(0).getChunksCount();
    Semaphore gate = new Semaphore(3);
    gpu.gate = gate;
    client.loadToGpu(request);
    Await.until("3 copies done and the 4th held at the gate", () -> gpu.copies.get() == 3);

    // A client waits in Confirm while the copies are stuck, then its process goes away.
    DaemonClient dying = DaemonClient.inProcess(serverName, Optional.empty());
    Thread waiter =
        Thread.ofVirtual()
            .start(
                () -> {
                  try {
                    dying.confirm(request.getReplicaId(), Duration.ofMinutes(1));
                  } catch (DaemonException expected) {
                    // CANCELLED: the channel went down under it.
                  }
                });
    Await.until(
        "the client to wait in Confirm", () -> server.daemon().confirming(request.getReplicaId()));
    dying.close();
    // The server learns of the cancellation asynchronously: the copies go on only once it did.
    Await.until(
        "the daemon to see the client go away",
        () -> server.daemon().cancelled(request.getReplicaId()));
    assertThat(waiter.join(Await.PATIENCE)).as("the dying client's Confirm ended").isTrue();
    gate.release(chunks);

    Await.until(
        "the replica to end and release what it held",
        () -> server.daemon().pendingReplicas() == 0 && server.daemon().runningWorkers() == 0);
    assertThat(gpu.closed.get()).isEqualTo(gpu.opened.get()).isPositive();
    assertThat(cache.inUse("t/gone@main")).isFalse();
    assertThat(gpu.copies.get()).as("stopped before the end").isLessThan(chunks);
    assertThat(server.daemon().pendingReplicas()).isZero();
  }

  @Test
  void cacheWhenFullShouldEvictLeastRecentlyUsedIdleModels() throws IOException {
    start(100L << 10, Map.of());
    TestModels.register(store, temp, "t/a", 1, 64, 6);
    TestModels.register(store, temp, "t/b", 1, 64, 7);
    long bytesA = client.loadToHost("t/a", null).getBytes();
    assertThat(bytesA).isLessThanOrEqualTo(100L << 10).isGreaterThan(50L << 10);

    client.loadToHost("t/b", null);

    assertThat(client.status().getResidentList())
        .extracting(r -> r.getModelId())
        .containsExactly("t/b");
    assertThat(client.loadToHost("t/a", null).getCacheHit()).isFalse();
  }

  @Test
  void cacheWhenModelsInUseLeaveNoRoomShouldSaySoWithNumbers() throws Exception {
    start(100L << 10, Map.of());
    TestModels.register(store, temp, "t/a", 1, 64, 6);
    TestModels.register(store, temp, "t/b", 1, 64, 7);
    ModelLayout layout = client.describe("t/a", null);
    LoadToGpuRequest request = gpuLoad(layout, new java.util.ArrayList<>(), 0);
    gpu.gate = new Semaphore(0);
    try {
      holdAndCheck(request);
    } finally {
      gpu.gate.release(Integer.MAX_VALUE);
    }
    client.confirm(request.getReplicaId(), Await.PATIENCE);
    assertThat(client.unload("t/a", null).getUnloaded()).isTrue();
    assertThat(client.status().getResidentList()).isEmpty();
  }

  private void holdAndCheck(LoadToGpuRequest request) throws InterruptedException {
    client.loadToGpu(request);
    Await.until(
        "t/a to be resident and in use by the held copy",
        () -> cache.residents().stream().anyMatch(r -> r.inUse() == 1));

    assertThatThrownBy(() -> client.loadToHost("t/b", null))
        .isInstanceOf(DaemonException.class)
        .hasMessageContaining("the pool has no room for t/b@main")
        .hasMessageContaining("raise --mem-pool-size")
        .extracting(e -> ((DaemonException) e).code())
        .isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThatThrownBy(() -> client.unload("t/a", null)).hasMessageContaining("is in use by 1");
    assertThat(client.clear().getSkippedInUse()).isEqualTo(1);
  }

  @Test
  void loadToHostWhenTheStoreReplacedTheModelShouldReadTheNewOne() throws IOException {
    start(64L << 20, Map.of());
    TestModels.register(store, temp, "t/a", 1, 8, 1);
    assertThat(client.loadToHost("t/a", null).getCacheHit()).isFalse();
    assertThat(client.loadToHost("t/a", null).getCacheHit()).isTrue();

    // Same id and revision, same size, other bytes.
    TestModels.register(store, temp.resolve("again"), "t/a", 1, 8, 2);

    assertThat(client.loadToHost("t/a", null).getCacheHit()).isFalse();
    assertThat(client.status().getResidentCount()).isEqualTo(1);
  }

  @Test
  void clearShouldDropIdleModels() throws IOException {
    start(64L << 20, Map.of());
    TestModels.register(store, temp, "t/a", 1, 8, 6);
    TestModels.register(store, temp, "t/b", 1, 8, 7);
    client.loadToHost("t/a", null);
    client.loadToHost("t/b", null);

    var cleared = client.clear();

    assertThat(cleared.getEvicted()).isEqualTo(2);
    assertThat(client.status().getPoolUsedBytes()).isZero();
  }

  @Test
  void callsWhenDaemonHasATokenShouldNeedIt() throws IOException {
    start(64L << 20, Map.of(Setting.TOKEN, "s3cret"));
    assertThat(client.status().getPid()).isPositive();

    String name = "no-token-" + UUID.randomUUID();
    try (DaemonServer other =
            DaemonServer.builder(settings(Map.of(Setting.TOKEN, "s3cret")))
                .inProcess(name)
                .host(new HostModelCache(1 << 20, FlashLoader.create(), HostPinning.NONE))
                .copier(Optional.empty(), "no GPU here")
                .start();
        DaemonClient anonymous = DaemonClient.inProcess(name, Optional.empty());
        DaemonClient wrong = DaemonClient.inProcess(name, Optional.of("guess"))) {
      assertThatThrownBy(anonymous::status)
          .isInstanceOf(DaemonException.class)
          .hasMessageContaining("this daemon requires a token")
          .extracting(e -> ((DaemonException) e).code())
          .isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThatThrownBy(wrong::list).hasMessageContaining("the token does not match");
      assertThatThrownBy(wrong::shutdown).hasMessageContaining("the token does not match");
      assertThat(other.daemon().pendingReplicas()).isZero();
    }
  }

  @Test
  void startWhenBindingBeyondLoopbackWithoutTokenShouldRefuse() {
    Settings s = settings(Map.of(Setting.HOST, "0.0.0.0", Setting.PORT, "18073"));
    assertThatThrownBy(() -> DaemonServer.builder(s).copier(Optional.empty(), "").start())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(
            "binding 0.0.0.0 exposes the daemon beyond this machine: set a token");
  }

  @Test
  @SuppressWarnings("try") // the server only needs to run during the block
  void loadToGpuWhenDaemonHasNoCudaShouldSayWhy() throws IOException {
    Settings s = settings(Map.of());
    serverName = "cpu-only-" + UUID.randomUUID();
    store = ModelStore.open(s.storagePath());
    TestModels.register(store, temp, "t/a", 1, 8, 6);
    try (DaemonServer cpuOnly =
            DaemonServer.builder(s)
                .inProcess(serverName)
                .host(new HostModelCache(1 << 20, FlashLoader.create(), HostPinning.NONE))
                .copier(Optional.empty(), "no NVIDIA driver")
                .start();
        DaemonClient c = DaemonClient.inProcess(serverName, Optional.empty())) {
      assertThat(c.status().getCudaAvailable()).isFalse();
      assertThat(c.status().getCudaMessage()).isEqualTo("no NVIDIA driver");
      assertThatThrownBy(
              () ->
                  c.loadToGpu(
                      LoadToGpuRequest.newBuilder()
                          .setModel(ModelRef.newBuilder().setModelId("t/a"))
                          .setReplicaId("x")
                          .build()))
          .hasMessageContaining("this daemon cannot copy to GPUs: no NVIDIA driver");
    }
  }

  @Test
  void shutdownShouldAnswerThenStopTheServer() throws Exception {
    start(64L << 20, Map.of());
    client.shutdown();
    server.awaitStop();
    assertThat(shutdownRan).as("run before awaitStop returns").isTrue();
    assertThat(client.ping()).isFalse();
  }

  @Test
  void ipcHandleBytesShouldRoundTripThroughJcudasPrivateField() {
    byte[] bytes = new byte[64];
    new java.util.Random(1).nextBytes(bytes);
    assertThat(IpcHandles.toBytes(IpcHandles.fromBytes(bytes))).isEqualTo(bytes);
    assertThatThrownBy(() -> IpcHandles.fromBytes(new byte[10])).hasMessageContaining("64 bytes");
  }
}
