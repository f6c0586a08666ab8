package io.flashtensors.load;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;

/** A host target that counts what the pipeline does with it, to check that loads clean up. */
final class RecordingTarget implements LoadTarget<LoadedModel> {

  final HostTarget host = new HostTarget();
  final AtomicInteger acquired = new AtomicInteger();
  final AtomicInteger completed = new AtomicInteger();
  final AtomicInteger released = new AtomicInteger();
  final AtomicInteger aborted = new AtomicInteger();
  volatile Runnable onComplete = () -> {};

  /** Thrown by {@link #abort()} after it cleaned up, when set. */
  volatile RuntimeException abortFailure;

  @Override
  public int alignment() {
    return host.alignment();
  }

  @Override
  public void checkDevice(Device device) {
    host.checkDevice(device);
  }

  @Override
  public void begin(LoadPlan plan, LoadContext context) {
    host.begin(plan, context);
  }

  @Override
  public MemorySegment acquire(LoadPlan.ReadChunk chunk) throws InterruptedException {
    MemorySegment buffer = host.acquire(chunk);
    acquired.incrementAndGet();
    return buffer;
  }

  @Override
  public void complete(LoadPlan.ReadChunk chunk, MemorySegment buffer) {
    completed.incrementAndGet();
    host.complete(chunk, buffer);
    onComplete.run();
  }

  @Override
  public void release(LoadPlan.ReadChunk chunk, MemorySegment buffer) {
    released.incrementAndGet();
    host.release(chunk, buffer);
  }

  @Override
  public LoadedModel finish(LoadContext context) throws IOException {
    return host.finish(context);
  }

  @Override
  public void abort() {
    aborted.incrementAndGet();
    host.abort();
    RuntimeException failure = abortFailure;
    if (failure != null) {
      throw failure;
    }
  }

  /** Every acquired buffer was completed or released. */
  boolean balanced() {
    return acquired.get() == completed.get() + released.get();
  }
}
