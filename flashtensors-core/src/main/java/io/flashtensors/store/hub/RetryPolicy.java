package io.flashtensors.store.hub;

import java.time.Duration;
import java.util.Optional;

/**
 * How transient failures (network errors, 5xx, 429) are retried: up to {@code attempts} tries, the
 * n-th after {@code initialDelay * 2^(n-2)} capped at {@code maxDelay}, or after the server's
 * {@code Retry-After} when it sent one (capped the same way).
 *
 * @param attempts tries in all, at least 1
 * @param initialDelay wait before the second try
 * @param maxDelay longest wait between tries
 */
public record RetryPolicy(int attempts, Duration initialDelay, Duration maxDelay) {

  public RetryPolicy {
    if (attempts < 1) {
      throw new IllegalArgumentException("attempts must be at least 1");
    }
  }

  /** Five tries over about 15 seconds. */
  public static RetryPolicy standard() {
    return new RetryPolicy(5, Duration.ofMillis(500), Duration.ofSeconds(8));
  }

  /** The wait before try number {@code attempt} (2 for the first retry). */
  public Duration delayBefore(int attempt, Optional<String> retryAfter) {
    if (retryAfter.isPresent()) {
      try {
        Duration asked = Duration.ofSeconds(Long.parseLong(retryAfter.get().trim()));
        return asked.compareTo(maxDelay) > 0 ? maxDelay : asked;
      } catch (NumberFormatException e) {
        // An HTTP date: fall back to the exponential delay.
      }
    }
    long millis = initialDelay.toMillis() << Math.min(20, Math.max(0, attempt - 2));
    return Duration.ofMillis(Math.min(millis, maxDelay.toMillis()));
  }

  /** Sleeps before try number {@code attempt}. */
  public void sleepBefore(int attempt, Optional<String> retryAfter) {
    try {
      Thread.sleep(delayBefore(attempt, retryAfter));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HubException(HubException.Kind.NETWORK, "interrupted while waiting to retry", e);
    }
  }
}
