package io.flashtensors.cuda;

import jcuda.driver.CUresult;

/**
 * A CUDA driver call failed. The message names the call and the driver's error name (for example
 * {@code cuMemAlloc(8589934592 bytes) failed: CUDA_ERROR_OUT_OF_MEMORY}).
 */
public class CudaException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** {@link #result()} of a failure that did not come from a driver call. */
  public static final int NO_RESULT = -1;

  private final int result;

  /** A failed driver call: {@code operation} names it, {@code result} is its {@code CUresult}. */
  public CudaException(String operation, int result) {
    super(operation + " failed: " + nameOf(result));
    this.result = result;
  }

  protected CudaException(String message, int result, Throwable cause) {
    super(message, cause);
    this.result = result;
  }

  /** The driver's {@code CUresult} code, or {@link #NO_RESULT}. */
  public int result() {
    return result;
  }

  /** The driver's name for the error, such as {@code CUDA_ERROR_OUT_OF_MEMORY}. */
  public String errorName() {
    return nameOf(result);
  }

  /** Whether the driver ran out of device memory. */
  public boolean isOutOfMemory() {
    return result == CUresult.CUDA_ERROR_OUT_OF_MEMORY;
  }

  static String nameOf(int result) {
    return result == NO_RESULT ? "CUDA_UNAVAILABLE" : CUresult.stringFor(result);
  }
}
