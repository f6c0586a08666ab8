package io.flashtensors.cuda;

import static io.flashtensors.cuda.Cuda.check;

import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/** A marker in a stream: wait for the work before it, or time the work between two markers. */
public final class CudaEvent implements AutoCloseable {

  private final CudaContext context;
  private final CUevent handle;
  private final boolean timing;
  private boolean closed;

  private CudaEvent(CudaContext context, CUevent handle, boolean timing) {
    this.context = context;
    this.handle = handle;
    this.timing = timing;
  }

  static CudaEvent create(CudaContext context, boolean timing) {
    context.makeCurrent();
    CUevent event = new CUevent();
    int flags = timing ? CUevent_flags.CU_EVENT_DEFAULT : CUevent_flags.CU_EVENT_DISABLE_TIMING;
    check(JCudaDriver.cuEventCreate(event, flags), "cuEventCreate");
    return new CudaEvent(context, event, timing);
  }

  /** The JCuda handle. */
  public CUevent handle() {
    return handle;
  }

  /** Marks the current end of {@code stream}; recording again moves the mark. */
  public void record(CudaStream stream) {
    context.makeCurrent();
    check(JCudaDriver.cuEventRecord(handle, stream.handle()), "cuEventRecord");
  }

  /** Waits until the work before the mark has run; reports any error of that work. */
  public void synchronize() {
    context.makeCurrent();
    check(JCudaDriver.cuEventSynchronize(handle), "cuEventSynchronize");
  }

  /** Whether the work before the mark has run, without waiting. */
  public boolean isComplete() {
    context.makeCurrent();
    int rc = JCudaDriver.cuEventQuery(handle);
    if (rc == CUresult.CUDA_ERROR_NOT_READY) {
      return false;
    }
    check(rc, "cuEventQuery");
    return true;
  }

  /** Milliseconds between {@code start}'s mark and this one; both must be timing events. */
  public float elapsedMillisSince(CudaEvent start) {
    if (!timing || !start.timing) {
      throw new IllegalStateException("elapsed time needs two events made by createTimingEvent()");
    }
    context.makeCurrent();
    float[] ms = new float[1];
    check(JCudaDriver.cuEventElapsedTime(ms, start.handle, handle), "cuEventElapsedTime");
    return ms[0];
  }

  /** Destroys the event. Closing twice does nothing. */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      context.makeCurrent();
      check(JCudaDriver.cuEventDestroy(handle), "cuEventDestroy");
    }
  }
}
