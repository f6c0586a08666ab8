package io.flashtensors.server;

import io.flashtensors.format.FlashManifest;
import io.flashtensors.format.FormatException;
import io.flashtensors.server.proto.ClearReply;
import io.flashtensors.server.proto.ClearRequest;
import io.flashtensors.server.proto.ConfirmReply;
import io.flashtensors.server.proto.ConfirmRequest;
import io.flashtensors.server.proto.CopyChunk;
import io.flashtensors.server.proto.DescribeRequest;
import io.flashtensors.server.proto.DeviceCopies;
import io.flashtensors.server.proto.Gpu;
import io.flashtensors.server.proto.ListReply;
import io.flashtensors.server.proto.ListRequest;
import io.flashtensors.server.proto.LoadToGpuReply;
import io.flashtensors.server.proto.LoadToGpuRequest;
import io.flashtensors.server.proto.LoadToHostReply;
import io.flashtensors.server.proto.LoadToHostRequest;
import io.flashtensors.server.proto.ModelLayout;
import io.flashtensors.server.proto.ModelRef;
import io.flashtensors.server.proto.ModelSummary;
import io.flashtensors.server.proto.RegisterReply;
import io.flashtensors.server.proto.RegisterRequest;
import io.flashtensors.server.proto.Residency;
import io.flashtensors.server.proto.ShutdownReply;
import io.flashtensors.server.proto.ShutdownRequest;
import io.flashtensors.server.proto.StatusReply;
import io.flashtensors.server.proto.StatusRequest;
import io.flashtensors.server.proto.TensorLocation;
import io.flashtensors.server.proto.UnloadReply;
import io.flashtensors.server.proto.UnloadRequest;
import io.flashtensors.store.ModelId;
import io.flashtensors.store.ModelNotFoundException;
import io.flashtensors.store.ModelStore;
import io.flashtensors.store.StoreException;
import io.flashtensors.store.StoredModel;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The daemon's work behind its RPCs: the store, the resident cache, and the copies into clients'
 * GPU memory (replicas).
 *
 * <p>A GPU load is a <em>replica</em>: {@code LoadToGpu} checks the request, registers the replica
 * and returns; a worker makes the model resident, opens the client's IPC handles and queues the
 * copies; {@code Confirm} waits for them. What a replica holds (the model in use in the cache, the
 * opened handles) is released as soon as its copies end, when the client that waits in {@code
 * Confirm} goes away (the copy stops at the next gigabyte), or when its lease runs out without a
 * {@code Confirm} (a client that died before confirming).
 */
public final class Daemon implements DaemonGrpc.Handlers, AutoCloseable {

  private static final Logger LOG = Logger.getLogger(Daemon.class.getName());

  /** Bytes queued between checks for cancellation. */
  private static final long COPY_WINDOW = 1L << 30;

  /** Largest piece of one queued copy. */
  private static final long COPY_PIECE = 256L << 20;

  private final DaemonInfo info;
  private final ModelStore store;
  private final ManifestCache manifests = new ManifestCache();
  private final Map<Path, CachedLayout> layouts = new ConcurrentHashMap<>();
  private final ModelHost host;
  private final Optional<DeviceCopier> copier;
  private final String cudaMessage;
  private final Runnable onShutdown;
  private final Map<String, Replica> replicas = new ConcurrentHashMap<>();
  private final AtomicInteger runningWorkers = new AtomicInteger();
  private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
  private final ScheduledExecutorService reaper =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().daemon().name("flashtensors-replica-reaper").factory());
  private final Duration defaultLease;

  /**
   * What the daemon reports about itself in {@code Status}.
   *
   * @param version flashtensors version
   * @param pid process id
   * @param host the address it is bound to
   * @param port its port
   * @param startedMillis when it started (epoch milliseconds)
   * @param chunkSize loader chunk size
   * @param threads loader threads
   */
  public record DaemonInfo(
      String version,
      long pid,
      String host,
      int port,
      long startedMillis,
      long chunkSize,
      int threads) {}

  /**
   * @param copier copies into clients' GPUs; empty when this machine has no usable CUDA
   * @param cudaMessage why CUDA is not usable (shown by {@code status}), empty when it is
   * @param onShutdown stops the server; called after the Shutdown reply is sent
   * @param defaultLease how long an unconfirmed replica is kept when the request names no lease
   * @param reapInterval how often leases are checked
   */
  public Daemon(
      DaemonInfo info,
      ModelStore store,
      ModelHost host,
      Optional<DeviceCopier> copier,
      String cudaMessage,
      Runnable onShutdown,
      Duration defaultLease,
      Duration reapInterval) {
    this.info = info;
    this.store = store;
    this.host = host;
    this.copier = copier;
    this.cudaMessage = cudaMessage;
    this.onShutdown = onShutdown;
    this.defaultLease = defaultLease;
    reaper.scheduleWithFixedDelay(
        this::reapExpired, reapInterval.toMillis(), reapInterval.toMillis(), TimeUnit.MILLISECONDS);
  }

  // ---- RPCs ------------------------------------------------------------------------------------

  @Override
  public void register(RegisterRequest request, StreamObserver<RegisterReply> reply) {
    answer(
        reply,
        () -> {
          StoredModel m = model(request.getModel());
          FlashManifest.read(store.folder(m)); // validates it
          return RegisterReply.newBuilder().setModel(summary(m)).build();
        });
  }

  @Override
  public void loadToHost(LoadToHostRequest request, StreamObserver<LoadToHostReply> reply) {
    answer(
        reply,
        () -> {
          StoredModel m = model(request.getModel());
          Path folder = store.folder(m);
          try (ModelHost.Lease lease = host.lease(m, folder)) {
            LoadToHostReply.Builder r =
                LoadToHostReply.newBuilder()
                    .setCacheHit(lease.cacheHit())
                    .setSeconds(lease.loadSeconds())
                    .setBytes(lease.manifest().partitionBytes())
                    .setFolder(folder.toString());
            lease.sharedFiles().forEach(f -> r.addSharedFiles(f.toString()));
            return r.setModel(summary(m)).build();
          }
        });
  }

  @Override
  public void describe(DescribeRequest request, StreamObserver<ModelLayout> reply) {
    answer(
        reply,
        () -> {
          StoredModel m = model(request.getModel());
          Path folder = store.folder(m);
          return tensorLayout(folder, manifests.read(folder)).toBuilder()
              .setModel(summary(m))
              .setFolder(folder.toString())
              .build();
        });
  }

  /**
   * The partitions and tensors of a manifest as {@code Describe} sends them, built once per parsed
   * manifest: building and sizing a few hundred tensor entries was most of a {@code Describe}.
   */
  private ModelLayout tensorLayout(Path folder, FlashManifest manifest) {
    CachedLayout cached = layouts.get(folder);
    if (cached != null && cached.manifest() == manifest) {
      return cached.layout();
    }
    ModelLayout.Builder layout = ModelLayout.newBuilder();
    manifest.partitions().forEach(p -> layout.addPartitionSizes(p.size()));
    for (FlashManifest.TensorRecord t : manifest.tensors()) {
      TensorLocation.Builder loc =
          TensorLocation.newBuilder()
              .setName(t.name())
              .setDtype(t.dtype().name())
              .setPartition(t.partition())
              .setOffset(t.offset())
              .setLength(t.length());
      for (long d : t.shape()) {
        loc.addShape(d);
      }
      layout.addTensors(loc);
    }
    ModelLayout built = layout.build();
    if (layouts.size() >= 1024) {
      layouts.clear(); // a store holds far fewer models; removed ones leave entries behind
    }
    layouts.put(folder, new CachedLayout(manifest, built));
    return built;
  }

  private record CachedLayout(FlashManifest manifest, ModelLayout layout) {}

  @Override
  public void loadToGpu(LoadToGpuRequest request, StreamObserver<LoadToGpuReply> reply) {
    answer(
        reply,
        () -> {
          if (copier.isEmpty()) {
            throw Status.FAILED_PRECONDITION
                .withDescription("this daemon cannot copy to GPUs: " + cudaMessage)
                .asRuntimeException();
          }
          StoredModel m = model(request.getModel());
          Path folder = store.folder(m);
          FlashManifest manifest = manifests.read(folder);
          long bytes = checkCopies(request, manifest);
          String id = request.getReplicaId();
          Duration lease =
              request.getLeaseMillis() > 0
                  ? Duration.ofMillis(request.getLeaseMillis())
                  : defaultLease;
          Replica replica = new Replica(id, ModelHost.key(m), System.nanoTime() + lease.toNanos());
          if (replicas.putIfAbsent(id, replica) != null) {
            throw new IllegalArgumentException("replica id " + id + " is in use");
          }
          boolean resident = host.residents().stream().anyMatch(r -> r.key().equals(replica.key));
          runningWorkers.incrementAndGet();
          try {
            replica.worker =
                workers.submit(
                    () -> {
                      try {
                        copy(replica, m, folder, request);
                      } finally {
                        runningWorkers.decrementAndGet();
                      }
                    });
          } catch (RuntimeException e) {
            runningWorkers.decrementAndGet();
            replicas.remove(id, replica);
            throw e;
          }
          return LoadToGpuReply.newBuilder()
              .setReplicaId(id)
              .setBytes(bytes)
              .setCacheHit(resident)
              .build();
        });
  }

  @Override
  public void confirm(ConfirmRequest request, StreamObserver<ConfirmReply> reply) {
    answer(
        reply,
        () -> {
          // Marked atomically with the lookup: the reaper never drops a replica being confirmed.
          Replica replica =
              replicas.computeIfPresent(
                  request.getReplicaId(),
                  (id, r) -> {
                    r.confirming = true;
                    return r;
                  });
          if (replica == null) {
            throw Status.NOT_FOUND
                .withDescription(
                    "no replica "
                        + request.getReplicaId()
                        + " (never started, confirmed already, or its lease ran out)")
                .asRuntimeException();
          }
          Context context = Context.current();
          Context.CancellationListener onGone = c -> replica.cancel();
          context.addListener(onGone, Runnable::run);
          try {
            Result r = replica.result.get();
            return ConfirmReply.newBuilder()
                .setReplicaId(replica.id)
                .setBytes(r.bytes())
                .setHostSeconds(r.hostSeconds())
                .setCopySeconds(r.copySeconds())
                .setOpenSeconds(r.openSeconds())
                .setReleaseSeconds(r.releaseSeconds())
                .build();
          } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ex
                ? ex
                : new IllegalStateException(e.getCause());
          } finally {
            context.removeListener(onGone);
            replicas.remove(replica.id, replica);
          }
        });
  }

  @Override
  public void unload(UnloadRequest request, StreamObserver<UnloadReply> reply) {
    answer(
        reply,
        () -> {
          StoredModel m = model(request.getModel());
          String key = ModelHost.key(m);
          Optional<ModelHost.Resident> resident =
              host.residents().stream().filter(r -> r.key().equals(key)).findFirst();
          if (resident.isPresent() && resident.get().inUse() > 0) {
            throw Status.FAILED_PRECONDITION
                .withDescription(
                    key
                        + " is in use by "
                        + resident.get().inUse()
                        + " load(s); try again when they end")
                .asRuntimeException();
          }
          boolean unloaded = host.evict(key);
          return UnloadReply.newBuilder()
              .setUnloaded(unloaded)
              .setFreedBytes(unloaded ? resident.map(ModelHost.Resident::bytes).orElse(0L) : 0)
              .build();
        });
  }

  @Override
  public void list(ListRequest request, StreamObserver<ListReply> reply) {
    answer(
        reply,
        () -> {
          ListReply.Builder list = ListReply.newBuilder();
          for (StoredModel m : store.list()) {
            list.addModels(summary(m));
          }
          return list.build();
        });
  }

  @Override
  public void status(StatusRequest request, StreamObserver<StatusReply> reply) {
    answer(
        reply,
        () -> {
          StatusReply.Builder s =
              StatusReply.newBuilder()
                  .setVersion(info.version())
                  .setPid(info.pid())
                  .setHost(info.host())
                  .setPort(info.port())
                  .setStartedUnixMs(info.startedMillis())
                  .setStoragePath(store.root().toString())
                  .setPoolBytes(host.capacity())
                  .setPoolUsedBytes(host.used())
                  .setPoolPinned(host.pinned())
                  .setChunkSize(info.chunkSize())
                  .setThreads(info.threads())
                  .setPendingReplicas(replicas.size())
                  .setCudaAvailable(copier.isPresent())
                  .setCudaMessage(cudaMessage);
          for (ModelHost.Resident r : host.residents()) {
            int at = r.key().lastIndexOf('@');
            s.addResident(
                ModelSummary.newBuilder()
                    .setModelId(r.key().substring(0, at))
                    .setRevision(r.key().substring(at + 1))
                    .setSizeBytes(r.bytes())
                    .setResidency(residency(r)));
          }
          copier.ifPresent(
              c -> {
                for (DeviceCopier.Gpu g : c.gpus()) {
                  s.addGpus(
                      Gpu.newBuilder()
                          .setIndex(g.index())
                          .setUuid(g.uuid())
                          .setName(g.name())
                          .setTotalBytes(g.totalBytes()));
                }
              });
          return s.build();
        });
  }

  @Override
  public void clear(ClearRequest request, StreamObserver<ClearReply> reply) {
    answer(
        reply,
        () -> {
          ModelHost.ClearResult r = host.clear();
          return ClearReply.newBuilder()
              .setEvicted(r.evicted())
              .setFreedBytes(r.freedBytes())
              .setSkippedInUse(r.skippedInUse())
              .build();
        });
  }

  @Override
  public void shutdown(ShutdownRequest request, StreamObserver<ShutdownReply> reply) {
    reply.onNext(ShutdownReply.getDefaultInstance());
    reply.onCompleted();
    Thread.ofPlatform().name("flashtensors-shutdown").start(onShutdown);
  }

  // ---- replicas -------------------------------------------------------------------------------

  /** What a finished replica did. */
  record Result(
      long bytes,
      double hostSeconds,
      double openSeconds,
      double copySeconds,
      double releaseSeconds) {}

  private static final class Replica {
    final String id;
    final String key;
    final long deadlineNanos;
    final CompletableFuture<Result> result = new CompletableFuture<>();
    volatile boolean cancelled;
    volatile boolean confirming;
    volatile java.util.concurrent.Future<?> worker;

    Replica(String id, String key, long deadlineNanos) {
      this.id = id;
      this.key = key;
      this.deadlineNanos = deadlineNanos;
    }

    void cancel() {
      cancelled = true;
    }
  }

  /** The worker of a replica: lease, open, copy, release. */
  private void copy(Replica replica, StoredModel model, Path folder, LoadToGpuRequest request) {
    List<DeviceCopier.Target> opened = new ArrayList<>();
    long t0 = System.nanoTime();
    Result result = null;
    Throwable failure = null;
    ModelHost.Lease lease = null;
    try {
      lease = host.lease(model, folder);
      double hostSeconds = lease.loadSeconds();
      long copied = 0;
      long sinceCheck = 0;
      double openSeconds = 0;
      long copyNanos = 0;
      for (DeviceCopies device : request.getDevicesList()) {
        List<DeviceCopier.Target> targets = new ArrayList<>();
        long opening = System.nanoTime();
        for (int h = 0; h < device.getIpcHandlesCount(); h++) {
          checkCancelled(replica);
          DeviceCopier.Target t =
              copier
                  .orElseThrow()
                  .open(
                      device.getGpuUuid(),
                      device.getIpcHandles(h).toByteArray(),
                      device.getHandleSizes(h));
          opened.add(t);
          targets.add(t);
        }
        long copying = System.nanoTime();
        openSeconds += (copying - opening) / 1e9;
        copyNanos -= copying;
        for (CopyChunk c : device.getChunksList()) {
          MemorySegment src =
              lease.partition(c.getPartition()).asSlice(c.getSrcOffset(), c.getSize());
          DeviceCopier.Target target = targets.get(c.getHandleIndex());
          for (long off = 0; off < c.getSize(); off += COPY_PIECE) {
            long n = Math.min(COPY_PIECE, c.getSize() - off);
            checkCancelled(replica);
            target.copy(src.asSlice(off, n), c.getDstOffset() + off);
            copied += n;
            sinceCheck += n;
            if (sinceCheck >= COPY_WINDOW) {
              sinceCheck = 0;
              opened.forEach(DeviceCopier.Target::await);
              checkCancelled(replica);
            }
          }
        }
        // Copies to one device overlap the opening of the next device's handles.
        copyNanos += System.nanoTime();
      }
      long waiting = System.nanoTime();
      opened.forEach(DeviceCopier.Target::await);
      double copySeconds = (copyNanos + System.nanoTime() - waiting) / 1e9;
      result = new Result(copied, hostSeconds, openSeconds, copySeconds, 0);
    } catch (Exception | Error e) {
      failure = e;
    } finally {
      long releasing = System.nanoTime();
      // Handles first: closing one waits for its copies, which read the leased host memory.
      for (DeviceCopier.Target t : opened) {
        try {
          t.close();
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "closing an IPC handle of replica " + replica.id, e);
        }
      }
      if (lease != null) {
        lease.close();
      }
      if (result != null) {
        result =
            new Result(
                result.bytes(),
                result.hostSeconds(),
                result.openSeconds(),
                result.copySeconds(),
                (System.nanoTime() - releasing) / 1e9);
      }
    }
    // Completed only now, with the lease and the handles released: a confirmed replica holds
    // nothing.
    if (failure != null) {
      replica.result.completeExceptionally(failure);
      return;
    }
    Result done = result;
    replica.result.complete(done);
    LOG.fine(
        () ->
            String.format(
                "replica %s of %s: %d bytes, %.3f s to host, %.4f s opening handles, %.3f s to"
                    + " GPU, %.4f s releasing (%.1f s in all)",
                replica.id,
                replica.key,
                done.bytes(),
                done.hostSeconds(),
                done.openSeconds(),
                done.copySeconds(),
                done.releaseSeconds(),
                (System.nanoTime() - t0) / 1e9));
  }

  private static void checkCancelled(Replica replica) {
    if (replica.cancelled) {
      throw Status.CANCELLED
          .withDescription("replica " + replica.id + " was cancelled: its client went away")
          .asRuntimeException();
    }
  }

  /** Drops replicas whose lease ran out without a Confirm. */
  private void reapExpired() {
    long now = System.nanoTime();
    for (Replica r : replicas.values()) {
      boolean[] expired = {false};
      // Atomic with Confirm's lookup (same key), so a replica is either confirming or reaped.
      replicas.computeIfPresent(
          r.id,
          (id, current) -> {
            expired[0] = current == r && !r.confirming && now - r.deadlineNanos > 0;
            return expired[0] ? null : current;
          });
      if (expired[0]) {
        r.cancel();
        LOG.info("replica " + r.id + " of " + r.key + " was not confirmed in time; released");
      }
    }
  }

  /** Whether a client waits in Confirm for this replica now (for tests). */
  boolean confirming(String replicaId) {
    Replica r = replicas.get(replicaId);
    return r != null && r.confirming;
  }

  /** Whether this replica is known and was cancelled (its client went away; for tests). */
  boolean cancelled(String replicaId) {
    Replica r = replicas.get(replicaId);
    return r != null && r.cancelled;
  }

  /**
   * Replica workers still running: a replica dropped by the reaper or by a failed Confirm may still
   * be releasing what it held until this count drops (for tests).
   */
  int runningWorkers() {
    return runningWorkers.get();
  }

  /** Replicas registered and not yet confirmed or reaped. */
  public int pendingReplicas() {
    return replicas.size();
  }

  /** Checks every chunk of a GPU load against the model and the client's allocations. */
  private static long checkCopies(LoadToGpuRequest request, FlashManifest manifest) {
    if (request.getReplicaId().isBlank()) {
      throw new IllegalArgumentException("replica_id is empty");
    }
    if (request.getDevicesCount() == 0) {
      throw new IllegalArgumentException("no devices to copy to");
    }
    long bytes = 0;
    for (DeviceCopies d : request.getDevicesList()) {
      if (d.getIpcHandlesCount() != d.getHandleSizesCount()) {
        throw new IllegalArgumentException(
            d.getGpuUuid()
                + ": "
                + d.getIpcHandlesCount()
                + " handles but "
                + d.getHandleSizesCount()
                + " sizes");
      }
      for (int h = 0; h < d.getIpcHandlesCount(); h++) {
        if (d.getIpcHandles(h).size() != IpcHandles.SIZE) {
          throw new IllegalArgumentException(
              d.getGpuUuid()
                  + ": handle "
                  + h
                  + " has "
                  + d.getIpcHandles(h).size()
                  + " bytes, not "
                  + IpcHandles.SIZE);
        }
      }
      for (CopyChunk c : d.getChunksList()) {
        if (c.getPartition() < 0 || c.getPartition() >= manifest.partitions().size()) {
          throw new IllegalArgumentException(
              "chunk names partition "
                  + c.getPartition()
                  + "; the model has "
                  + manifest.partitions().size());
        }
        long partitionSize = manifest.partitions().get(c.getPartition()).size();
        if (c.getSrcOffset() < 0
            || c.getSize() < 0
            || c.getSrcOffset() + c.getSize() > partitionSize) {
          throw new IllegalArgumentException(
              "chunk ["
                  + c.getSrcOffset()
                  + ", +"
                  + c.getSize()
                  + ") passes the end of partition "
                  + c.getPartition()
                  + " ("
                  + partitionSize
                  + " bytes)");
        }
        if (c.getHandleIndex() < 0 || c.getHandleIndex() >= d.getIpcHandlesCount()) {
          throw new IllegalArgumentException(
              "chunk names handle "
                  + c.getHandleIndex()
                  + "; "
                  + d.getGpuUuid()
                  + " has "
                  + d.getIpcHandlesCount());
        }
        long allocation = d.getHandleSizes(c.getHandleIndex());
        if (c.getDstOffset() < 0 || c.getDstOffset() + c.getSize() > allocation) {
          throw new IllegalArgumentException(
              "chunk ["
                  + c.getDstOffset()
                  + ", +"
                  + c.getSize()
                  + ") passes the end of allocation "
                  + c.getHandleIndex()
                  + " on "
                  + d.getGpuUuid()
                  + " ("
                  + allocation
                  + " bytes)");
        }
        bytes += c.getSize();
      }
    }
    return bytes;
  }

  // ---- helpers --------------------------------------------------------------------------------

  private StoredModel model(ModelRef ref) {
    ModelId id = ModelId.parse(ref.getModelId());
    return store.get(id, ref.getRevision().isEmpty() ? null : ref.getRevision());
  }

  private ModelSummary summary(StoredModel m) {
    ModelSummary.Builder b =
        ModelSummary.newBuilder()
            .setModelId(m.id())
            .setRevision(m.revision())
            .setCommit(m.commit())
            .setSizeBytes(m.tensorBytes())
            .addAllDtypes(m.dtypes())
            .setPartitions(m.partitions())
            .setTensors(m.tensors());
    String key = ModelHost.key(m);
    host.residents().stream()
        .filter(r -> r.key().equals(key))
        .findFirst()
        .ifPresentOrElse(
            r -> b.setResidency(residency(r)),
            () -> b.setResidency(Residency.getDefaultInstance()));
    return b.build();
  }

  private static Residency residency(ModelHost.Resident r) {
    return Residency.newBuilder()
        .setHostResident(true)
        .setHostBytes(r.bytes())
        .setInUse(r.inUse())
        .setLastUsedUnixMs(r.lastUsedMillis())
        .build();
  }

  /** A handler body that may fail. */
  @FunctionalInterface
  private interface Body<T> {
    T run() throws Exception;
  }

  /** Runs a handler and turns its failure into a status with a one-line description. */
  private static <T> void answer(StreamObserver<T> reply, Body<T> body) {
    T value;
    try {
      value = body.run();
    } catch (Exception e) {
      reply.onError(toStatus(e));
      return;
    } catch (Error e) {
      reply.onError(toStatus(e));
      throw e;
    }
    reply.onNext(value);
    reply.onCompleted();
  }

  static StatusRuntimeException toStatus(Throwable e) {
    if (e instanceof StatusRuntimeException s) {
      return s;
    }
    Status status;
    if (e instanceof ModelNotFoundException) {
      status = Status.NOT_FOUND;
    } else if (e instanceof IllegalArgumentException) {
      status = Status.INVALID_ARGUMENT;
    } else if (e instanceof ModelHost.PoolFullException) {
      status = Status.RESOURCE_EXHAUSTED;
    } else if (e instanceof StoreException || e instanceof FormatException) {
      status = Status.FAILED_PRECONDITION;
    } else if (e instanceof io.flashtensors.cuda.CudaException c && c.isOutOfMemory()) {
      status = Status.RESOURCE_EXHAUSTED;
    } else {
      status = Status.INTERNAL;
    }
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    if (status == Status.INTERNAL) {
      LOG.log(Level.WARNING, "request failed", e);
    }
    return status.withDescription(message).withCause(e).asRuntimeException();
  }

  @Override
  public void close() {
    reaper.shutdownNow();
    replicas.values().forEach(Replica::cancel);
    workers.shutdown();
    try {
      if (!workers.awaitTermination(5, TimeUnit.SECONDS)) {
        workers.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    host.close();
    copier.ifPresent(DeviceCopier::close);
  }
}
