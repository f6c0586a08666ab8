package io.flashtensors.server;

import io.grpc.Status;

/** A call to the daemon failed; the message is the daemon's one-line reason. */
public final class DaemonException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final Status.Code code;

  public DaemonException(Status.Code code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  /** The gRPC status code ({@code NOT_FOUND}, {@code UNAVAILABLE}, ...). */
  public Status.Code code() {
    return code;
  }
}
