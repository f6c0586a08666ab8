package io.flashtensors.spring.ai;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Lets a fixed number of requests use an engine at once; others wait in a bounded queue, in arrival
 * order, for at most the wait timeout. A request that finds the queue full, or whose wait times
 * out, gets a {@link ModelBusyException} that says so.
 */
final class RequestGate {

  private final Semaphore running;
  private final int concurrency;
  private final int queueSize;
  private final Duration waitTimeout;
  private final AtomicInteger waiting = new AtomicInteger();

  /**
   * @param concurrency requests that may run at once (at least 1)
   * @param queueSize requests that may wait (0: none wait)
   * @param waitTimeout the longest a request waits for its turn
   */
  RequestGate(int concurrency, int queueSize, Duration waitTimeout) {
    if (concurrency < 1) {
      throw new IllegalArgumentException("concurrency must be at least 1, was " + concurrency);
    }
    if (queueSize < 0) {
      throw new IllegalArgumentException("queue size must not be negative, was " + queueSize);
    }
    this.concurrency = concurrency;
    this.queueSize = queueSize;
    this.waitTimeout = Objects.requireNonNull(waitTimeout, "waitTimeout");
    this.running = new Semaphore(concurrency, true);
  }

  /**
   * Waits for a turn.
   *
   * @return the turn; close it when the request is done
   * @throws ModelBusyException when the queue is full or the wait timed out
   * @throws InterruptedException when the waiting thread is interrupted (the caller went away)
   */
  Turn enter() throws InterruptedException {
    if (this.running.tryAcquire()) {
      return new Turn(this.running);
    }
    if (this.waiting.incrementAndGet() > this.queueSize) {
      this.waiting.decrementAndGet();
      throw new ModelBusyException(
          "model busy: %d request(s) running and %d waiting (flashtensors.chat.queue-size=%d)"
              .formatted(this.concurrency, this.queueSize, this.queueSize));
    }
    try {
      if (!this.running.tryAcquire(this.waitTimeout.toNanos(), TimeUnit.NANOSECONDS)) {
        throw new ModelBusyException(
            "model busy: waited %s for one of %d running request(s) to finish (flashtensors.chat.wait-timeout)"
                .formatted(this.waitTimeout, this.concurrency));
      }
      return new Turn(this.running);
    } finally {
      this.waiting.decrementAndGet();
    }
  }

  /** Requests waiting now. */
  int waiting() {
    return this.waiting.get();
  }

  /** Requests running now. */
  int running() {
    return this.concurrency - this.running.availablePermits();
  }

  /** One request's turn; closing it twice releases once. */
  static final class Turn implements AutoCloseable {

    private final Semaphore semaphore;
    private boolean released;

    private Turn(Semaphore semaphore) {
      this.semaphore = semaphore;
    }

    @Override
    public synchronized void close() {
      if (!this.released) {
        this.released = true;
        this.semaphore.release();
      }
    }
  }
}
