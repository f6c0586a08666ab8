package io.flashtensors.cuda;

/**
 * CUDA cannot be used in this process: no NVIDIA driver, no device, or a driver too old for CUDA
 * 12.6. Everything that does not need a GPU keeps working; only GPU requests fail, with this one
 * message.
 */
public final class CudaUnavailableException extends CudaException {

  private static final long serialVersionUID = 1L;

  CudaUnavailableException(String reason, int result, Throwable cause) {
    super("CUDA is not available: " + reason, result, cause);
  }
}
