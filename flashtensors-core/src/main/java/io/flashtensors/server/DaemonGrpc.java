package io.flashtensors.server;

import com.google.protobuf.Message;
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
import io.flashtensors.server.proto.RegisterReply;
import io.flashtensors.server.proto.RegisterRequest;
import io.flashtensors.server.proto.ShutdownReply;
import io.flashtensors.server.proto.ShutdownRequest;
import io.flashtensors.server.proto.StatusReply;
import io.flashtensors.server.proto.StatusRequest;
import io.flashtensors.server.proto.UnloadReply;
import io.flashtensors.server.proto.UnloadRequest;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;

/**
 * The gRPC service {@code flashtensors.daemon.v1.Daemon} of {@code daemon.proto}, written out by
 * hand: the method descriptors that {@code protoc-gen-grpc-java} would generate (its binary is not
 * on Maven Central for every platform we build on), and the binding of a {@link Handlers} to them.
 */
public final class DaemonGrpc {

  /** Fully qualified service name, as in the proto file. */
  public static final String SERVICE = "flashtensors.daemon.v1.Daemon";

  public static final MethodDescriptor<RegisterRequest, RegisterReply> REGISTER =
      unary("Register", RegisterRequest.getDefaultInstance(), RegisterReply.getDefaultInstance());
  public static final MethodDescriptor<LoadToHostRequest, LoadToHostReply> LOAD_TO_HOST =
      unary(
          "LoadToHost",
          LoadToHostRequest.getDefaultInstance(),
          LoadToHostReply.getDefaultInstance());
  public static final MethodDescriptor<DescribeRequest, ModelLayout> DESCRIBE =
      unary("Describe", DescribeRequest.getDefaultInstance(), ModelLayout.getDefaultInstance());
  public static final MethodDescriptor<LoadToGpuRequest, LoadToGpuReply> LOAD_TO_GPU =
      unary(
          "LoadToGpu", LoadToGpuRequest.getDefaultInstance(), LoadToGpuReply.getDefaultInstance());
  public static final MethodDescriptor<ConfirmRequest, ConfirmReply> CONFIRM =
      unary("Confirm", ConfirmRequest.getDefaultInstance(), ConfirmReply.getDefaultInstance());
  public static final MethodDescriptor<UnloadRequest, UnloadReply> UNLOAD =
      unary("Unload", UnloadRequest.getDefaultInstance(), UnloadReply.getDefaultInstance());
  public static final MethodDescriptor<ListRequest, ListReply> LIST =
      unary("List", ListRequest.getDefaultInstance(), ListReply.getDefaultInstance());
  public static final MethodDescriptor<StatusRequest, StatusReply> STATUS =
      unary("Status", StatusRequest.getDefaultInstance(), StatusReply.getDefaultInstance());
  public static final MethodDescriptor<ClearRequest, ClearReply> CLEAR =
      unary("Clear", ClearRequest.getDefaultInstance(), ClearReply.getDefaultInstance());
  public static final MethodDescriptor<ShutdownRequest, ShutdownReply> SHUTDOWN =
      unary("Shutdown", ShutdownRequest.getDefaultInstance(), ShutdownReply.getDefaultInstance());

  private DaemonGrpc() {}

  private static <Q extends Message, R extends Message> MethodDescriptor<Q, R> unary(
      String name, Q request, R reply) {
    return MethodDescriptor.<Q, R>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
        .setRequestMarshaller(ProtoUtils.marshaller(request))
        .setResponseMarshaller(ProtoUtils.marshaller(reply))
        .setSampledToLocalTracing(true)
        .build();
  }

  /** The server side: one method per RPC, each answering through its observer. */
  public interface Handlers {
    void register(RegisterRequest request, StreamObserver<RegisterReply> reply);

    void loadToHost(LoadToHostRequest request, StreamObserver<LoadToHostReply> reply);

    void describe(DescribeRequest request, StreamObserver<ModelLayout> reply);

    void loadToGpu(LoadToGpuRequest request, StreamObserver<LoadToGpuReply> reply);

    void confirm(ConfirmRequest request, StreamObserver<ConfirmReply> reply);

    void unload(UnloadRequest request, StreamObserver<UnloadReply> reply);

    void list(ListRequest request, StreamObserver<ListReply> reply);

    void status(StatusRequest request, StreamObserver<StatusReply> reply);

    void clear(ClearRequest request, StreamObserver<ClearReply> reply);

    void shutdown(ShutdownRequest request, StreamObserver<ShutdownReply> reply);
  }

  /** Binds handlers to the service's methods. */
  public static ServerServiceDefinition bind(Handlers h) {
    return ServerServiceDefinition.builder(SERVICE)
        .addMethod(REGISTER, ServerCalls.asyncUnaryCall(h::register))
        .addMethod(LOAD_TO_HOST, ServerCalls.asyncUnaryCall(h::loadToHost))
        .addMethod(DESCRIBE, ServerCalls.asyncUnaryCall(h::describe))
        .addMethod(LOAD_TO_GPU, ServerCalls.asyncUnaryCall(h::loadToGpu))
        .addMethod(CONFIRM, ServerCalls.asyncUnaryCall(h::confirm))
        .addMethod(UNLOAD, ServerCalls.asyncUnaryCall(h::unload))
        .addMethod(LIST, ServerCalls.asyncUnaryCall(h::list))
        .addMethod(STATUS, ServerCalls.asyncUnaryCall(h::status))
        .addMethod(CLEAR, ServerCalls.asyncUnaryCall(h::clear))
        .addMethod(SHUTDOWN, ServerCalls.asyncUnaryCall(h::shutdown))
        .build();
  }
}
