package io.flashtensors.load;

/** Whether reads bypass the page cache with O_DIRECT. */
public enum DirectIo {
  /**
   * O_DIRECT where the file system allows it, plain reads where it refuses (tmpfs, some FUSE); a
   * file that is already mostly (half or more) in the page cache is read with plain reads, which
   * copy it from memory.
   */
  AUTO,
  /** Always O_DIRECT; a file system that refuses it fails the load. */
  ON,
  /** Plain reads through the page cache. Fastest when the files are already cached. */
  OFF
}
