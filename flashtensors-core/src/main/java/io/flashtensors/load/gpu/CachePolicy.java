package io.flashtensors.load.gpu;

/** How one load uses the resident cache. */
public enum CachePolicy {
  /** Copy from the pool when resident; otherwise read the files and keep the model resident. */
  USE,
  /** Read the files through the ring and leave the cache as it is. */
  BYPASS
}
