package io.flashtensors.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waits for a condition that another thread or process makes true, instead of sleeping a fixed
 * time: returns as soon as it holds, and fails only after a timeout long enough for a loaded CI
 * machine (a test that passes never waits for the timeout).
 */
public final class Await {

  /** Long enough for a busy two-core machine; only a broken test waits this long. */
  public static final Duration PATIENCE = Duration.ofSeconds(60);

  private Await() {}

  /** Waits up to {@link #PATIENCE} for {@code condition}; fails naming {@code what} otherwise. */
  public static void until(String what, BooleanSupplier condition) {
    until(what, PATIENCE, condition);
  }

  /** Waits up to {@code timeout} for {@code condition}; fails naming {@code what} otherwise. */
  public static void until(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("waited " + timeout.toSeconds() + " s for " + what);
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for " + what, e);
      }
    }
  }
}
