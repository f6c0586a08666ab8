package io.flashtensors.server;

import io.flashtensors.server.proto.ClearReply;
import io.flashtensors.server.proto.ClearRequest;
import io.flashtensors.server.proto.ConfirmReply;
import io.flashtensors.server.proto.ConfirmRequest;
import io.flashtensors.server.proto.DescribeRequest;
import io.flashtensors.server.proto.ListReply;
import io.flashtensors.server.proto.ListRequest;
import io.flashtensors.server.proto.LoadToGpuReply;
import io.flashtensors.server.proto.LoadToGpuRequest;
import io.flashtensors.server.proto.LoadToHostReply;
import io.flashtensors.server.proto.LoadToHostRequest;
import io.flashtensors.server.proto.ModelLayout;
import io.flashtensors.server.proto.ModelRef;
import io.flashtensors.server.proto.RegisterReply;
import io.flashtensors.server.proto.RegisterRequest;
import io.flashtensors.server.proto.ShutdownRequest;
import io.flashtensors.server.proto.StatusReply;
import io.flashtensors.server.proto.StatusRequest;
import io.flashtensors.server.proto.UnloadReply;
import io.flashtensors.server.proto.UnloadRequest;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A blocking client of the daemon. Every failure becomes a {@link DaemonException} with the
 * daemon's one-line reason; an unreachable daemon says where it was looked for.
 */
public final class DaemonClient implements AutoCloseable {

  private static final Duration QUICK = Duration.ofSeconds(15);

  private final ManagedChannel managed;
  private final Channel channel;
  private final String target;

  private DaemonClient(ManagedChannel managed, Optional<String> token, String target) {
    this.managed = managed;
    this.channel =
        token.isPresent() ? ClientInterceptors.intercept(managed, bearer(token.get())) : managed;
    this.target = target;
  }

  /** A client of the daemon at {@code host:port}; connects lazily. */
  public static DaemonClient connect(String host, int port, Optional<String> token) {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(host, port)
            .usePlaintext()
            .maxInboundMessageSize(64 << 20)
            .build();
    return new DaemonClient(channel, token, host + ":" + port);
  }

  /** A client of an in-process daemon (tests). */
  public static DaemonClient inProcess(String name, Optional<String> token) {
    return new DaemonClient(
        InProcessChannelBuilder.forName(name).directExecutor().build(),
        token,
        "in-process " + name);
  }

  /** Where the daemon is. */
  public String target() {
    return target;
  }

  private static ClientInterceptor bearer(String token) {
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(
          MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(
            next.newCall(method, options)) {
          @Override
          public void start(Listener<R> listener, Metadata headers) {
            headers.put(TokenInterceptor.AUTHORIZATION, "Bearer " + token);
            super.start(listener, headers);
          }
        };
      }
    };
  }

  private static ModelRef ref(String modelId, String revision) {
    return ModelRef.newBuilder()
        .setModelId(modelId)
        .setRevision(revision == null ? "" : revision)
        .build();
  }

  private <Q, R> R call(MethodDescriptor<Q, R> method, Q request, Duration timeout) {
    CallOptions options = CallOptions.DEFAULT;
    if (timeout != null) {
      options = options.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
    try {
      return ClientCalls.blockingUnaryCall(channel, method, options, request);
    } catch (StatusRuntimeException e) {
      Status s = e.getStatus();
      String message =
          switch (s.getCode()) {
            case UNAVAILABLE ->
                "cannot reach the flashtensors daemon at "
                    + target
                    + " (is it running? `flashtensors start`)"
                    + (s.getDescription() == null ? "" : ": " + s.getDescription());
            case DEADLINE_EXCEEDED ->
                "the daemon at "
                    + target
                    + " did not answer "
                    + method.getBareMethodName()
                    + " in time";
            default ->
                s.getDescription() == null
                    ? s.getCode() + " from the daemon at " + target
                    : s.getDescription();
          };
      throw new DaemonException(s.getCode(), message, e);
    }
  }

  public StatusReply status() {
    return call(DaemonGrpc.STATUS, StatusRequest.getDefaultInstance(), QUICK);
  }

  /** Whether a daemon answers at the target. */
  public boolean ping() {
    try {
      call(DaemonGrpc.STATUS, StatusRequest.getDefaultInstance(), Duration.ofSeconds(3));
      return true;
    } catch (DaemonException e) {
      if (e.code() == Status.Code.UNAVAILABLE || e.code() == Status.Code.DEADLINE_EXCEEDED) {
        return false;
      }
      throw e;
    }
  }

  public ListReply list() {
    return call(DaemonGrpc.LIST, ListRequest.getDefaultInstance(), QUICK);
  }

  public RegisterReply register(String modelId, String revision) {
    return call(
        DaemonGrpc.REGISTER,
        RegisterRequest.newBuilder().setModel(ref(modelId, revision)).build(),
        QUICK);
  }

  /** Makes a model resident in the daemon's pool (may read it from disk: no deadline). */
  public LoadToHostReply loadToHost(String modelId, String revision) {
    return call(
        DaemonGrpc.LOAD_TO_HOST,
        LoadToHostRequest.newBuilder().setModel(ref(modelId, revision)).build(),
        null);
  }

  public ModelLayout describe(String modelId, String revision) {
    return call(
        DaemonGrpc.DESCRIBE,
        DescribeRequest.newBuilder().setModel(ref(modelId, revision)).build(),
        QUICK);
  }

  public LoadToGpuReply loadToGpu(LoadToGpuRequest request) {
    return call(DaemonGrpc.LOAD_TO_GPU, request, QUICK);
  }

  /**
   * Waits for a replica's copies.
   *
   * @param timeout how long to wait; when it runs out the daemon stops the copies and releases them
   */
  public ConfirmReply confirm(String replicaId, Duration timeout) {
    return call(
        DaemonGrpc.CONFIRM, ConfirmRequest.newBuilder().setReplicaId(replicaId).build(), timeout);
  }

  public UnloadReply unload(String modelId, String revision) {
    return call(
        DaemonGrpc.UNLOAD,
        UnloadRequest.newBuilder().setModel(ref(modelId, revision)).build(),
        QUICK);
  }

  public ClearReply clear() {
    return call(DaemonGrpc.CLEAR, ClearRequest.getDefaultInstance(), QUICK);
  }

  /** Asks the daemon to stop; returns once it has acknowledged. */
  public void shutdown() {
    call(DaemonGrpc.SHUTDOWN, ShutdownRequest.getDefaultInstance(), QUICK);
  }

  @Override
  public void close() {
    managed.shutdownNow();
    try {
      managed.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
