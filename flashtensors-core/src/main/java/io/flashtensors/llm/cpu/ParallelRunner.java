package io.flashtensors.llm.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Splits loops of the forward pass over the cores: a dedicated fork/join pool (so that engine work
 * neither waits behind nor starves the common pool) and a parallel-for over chunks of a range.
 */
public final class ParallelRunner implements AutoCloseable {

  private static final AtomicInteger POOLS = new AtomicInteger();

  /** A body that handles indices {@code [start, end)}; {@code chunk} numbers it from 0. */
  @FunctionalInterface
  public interface RangeBody {
    void run(int chunk, int start, int end);
  }

  /** Work (multiply-adds) below which a loop runs on the calling thread. */
  public static final long DEFAULT_MIN_PARALLEL_WORK = 1 << 16;

  private final ForkJoinPool pool;
  private final int threads;
  private final long minParallelWork;

  /** A runner with {@code threads} workers (at least 1). */
  public ParallelRunner(int threads) {
    this(threads, DEFAULT_MIN_PARALLEL_WORK);
  }

  /**
   * A runner with {@code threads} workers (at least 1) that splits loops of at least {@code
   * minParallelWork} multiply-adds (0: every loop, which tests use to exercise the split).
   */
  public ParallelRunner(int threads, long minParallelWork) {
    this.threads = Math.max(1, threads);
    this.minParallelWork = minParallelWork;
    int id = POOLS.incrementAndGet();
    AtomicInteger worker = new AtomicInteger();
    this.pool =
        this.threads == 1
            ? null
            : new ForkJoinPool(
                this.threads,
                p -> {
                  ForkJoinWorkerThread t =
                      ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
                  t.setName("flashtensors-cpu-" + id + "-" + worker.incrementAndGet());
                  t.setDaemon(true);
                  return t;
                },
                null,
                false);
  }

  /** A runner with one worker per available processor. */
  public static ParallelRunner forAvailableProcessors() {
    return new ParallelRunner(Runtime.getRuntime().availableProcessors());
  }

  public int threads() {
    return threads;
  }

  /** Most chunks {@link #forRange} makes; scratch buffers indexed by chunk need this many. */
  public int maxChunks() {
    return threads * 4;
  }

  /**
   * Runs {@code body} over {@code [0, n)} split in chunks; runs inline when the work (in
   * multiply-adds, as the caller estimates it) is too small to pay for waking other threads.
   */
  public void forRange(int n, long work, RangeBody body) {
    if (n <= 0) {
      return;
    }
    int chunks = work < minParallelWork || pool == null ? 1 : Math.min(n, maxChunks());
    if (chunks == 1) {
      body.run(0, 0, n);
      return;
    }
    Split split = new Split(body, n, chunks, 0, chunks);
    if (onWorker()) {
      split.invoke(); // this worker computes its share; the others steal the rest
    } else {
      pool.invoke(split);
    }
  }

  /**
   * Runs {@code action} on a worker of the pool and waits for it. Loops it splits then start on a
   * running worker, which works on them itself instead of handing every loop to sleeping threads.
   */
  public void execute(Runnable action) {
    if (pool == null || onWorker()) {
      action.run();
    } else {
      pool.invoke(ForkJoinTask.adapt(action));
    }
  }

  private boolean onWorker() {
    return Thread.currentThread() instanceof ForkJoinWorkerThread w && w.getPool() == pool;
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdownNow();
    }
  }

  private static final class Split extends RecursiveAction {
    private final RangeBody body;
    private final int n;
    private final int chunks;
    private final int lo;
    private final int hi;

    Split(RangeBody body, int n, int chunks, int lo, int hi) {
      this.body = body;
      this.n = n;
      this.chunks = chunks;
      this.lo = lo;
      this.hi = hi;
    }

    @Override
    protected void compute() {
      if (hi - lo == 1) {
        int start = (int) ((long) n * lo / chunks);
        int end = (int) ((long) n * (lo + 1) / chunks);
        body.run(lo, start, end);
        return;
      }
      int mid = (lo + hi) >>> 1;
      invokeAll(new Split(body, n, chunks, lo, mid), new Split(body, n, chunks, mid, hi));
    }
  }
}
