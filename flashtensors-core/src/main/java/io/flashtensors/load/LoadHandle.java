package io.flashtensors.load;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A load running in the background. It completes only after the load has finished or, when it
 * failed or was cancelled, after everything it took has been freed.
 *
 * @param <R> the result of the load
 */
public final class LoadHandle<R> {

  private final AtomicBoolean cancelled;
  private final CompletableFuture<R> result = new CompletableFuture<>();

  LoadHandle(AtomicBoolean cancelled) {
    this.cancelled = cancelled;
  }

  /** Asks the load to stop; {@link #get()} then throws {@link CancellationException}. */
  public void cancel() {
    cancelled.set(true);
  }

  /** True once the load has finished, failed, or been cancelled and cleaned up. */
  public boolean isDone() {
    return result.isDone();
  }

  /** Waits for the result. */
  public R get() throws InterruptedException, ExecutionException {
    return result.get();
  }

  /** Waits at most {@code timeout} for the result. */
  public R get(long timeout, TimeUnit unit)
      throws InterruptedException, ExecutionException, TimeoutException {
    return result.get(timeout, unit);
  }

  /** The completion as a stage, for chaining (it cannot cancel the load; use {@link #cancel}). */
  public CompletionStage<R> completion() {
    return result.minimalCompletionStage();
  }

  void complete(R value) {
    result.complete(value);
  }

  void fail(Throwable t) {
    result.completeExceptionally(t);
  }
}
