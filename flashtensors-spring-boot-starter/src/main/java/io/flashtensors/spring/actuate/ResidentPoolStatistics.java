package io.flashtensors.spring.actuate;

import java.util.Optional;

/**
 * What the loader's pinned pool and its cache of resident models report, for meters and health. A
 * bean of this type turns on the {@code flashtensors.pool.*} and {@code flashtensors.cache.*}
 * meters. Calls come from metric scrapes: they must be thread-safe and quick.
 */
public interface ResidentPoolStatistics {

  /** Bytes the pool holds (pinned host memory). */
  long capacityBytes();

  /** Bytes of the pool in use: resident models and chunks of loads in flight. */
  long usedBytes();

  /** Models resident in the pool now. */
  int residentModels();

  /** Loads served from the pool without reading files. */
  long cacheHits();

  /** Models evicted from the pool to make room. */
  long cacheEvictions();

  /** Why the pool could not be set up, when it could not; the numbers then read 0. */
  default Optional<Throwable> failure() {
    return Optional.empty();
  }
}
