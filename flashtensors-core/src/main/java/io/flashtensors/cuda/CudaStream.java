package io.flashtensors.cuda;

import static io.flashtensors.cuda.Cuda.check;

import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

/** A CUDA stream: an ordered queue of copies and kernels on one device. */
public final class CudaStream implements AutoCloseable {

  private final CudaContext context;
  private final CUstream handle;
  private boolean closed;

  private CudaStream(CudaContext context, CUstream handle) {
    this.context = context;
    this.handle = handle;
  }

  static CudaStream create(CudaContext context) {
    context.makeCurrent();
    CUstream stream = new CUstream();
    check(
        JCudaDriver.cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING),
        "cuStreamCreate");
    return new CudaStream(context, stream);
  }

  /** The context the stream belongs to. */
  public CudaContext context() {
    return context;
  }

  /** The JCuda handle, for launches and calls this layer does not wrap. */
  public CUstream handle() {
    return handle;
  }

  /** Waits until everything queued so far has run; reports any error of that work. */
  public void synchronize() {
    context.makeCurrent();
    check(JCudaDriver.cuStreamSynchronize(handle), "cuStreamSynchronize");
  }

  /** Whether everything queued so far has run, without waiting. */
  public boolean isIdle() {
    context.makeCurrent();
    int rc = JCudaDriver.cuStreamQuery(handle);
    if (rc == CUresult.CUDA_ERROR_NOT_READY) {
      return false;
    }
    check(rc, "cuStreamQuery");
    return true;
  }

  /** Destroys the stream (queued work still completes). Closing twice does nothing. */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      context.makeCurrent();
      check(JCudaDriver.cuStreamDestroy(handle), "cuStreamDestroy");
    }
  }
}
