package io.flashtensors.load.gpu;

/** Where the bytes of a GPU load came from. */
public enum LoadSource {
  /** The pinned pool: the model was resident, so the load was host-to-device copies only. */
  RESIDENT,
  /** Files, read into pinned chunks that the model keeps afterwards (it is now resident). */
  DISK,
  /** Files, streamed through a bounded ring of pinned chunks (too large, or caching bypassed). */
  STREAMED
}
