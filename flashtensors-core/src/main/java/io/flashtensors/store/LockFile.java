package io.flashtensors.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An exclusive lock on a file that works between processes ({@link FileChannel#lock()}) and between
 * threads of one process (a {@link ReentrantLock} per file, since the JVM refuses a second file
 * lock on the same file from the same process).
 */
public final class LockFile implements AutoCloseable {

  private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS =
      new ConcurrentHashMap<>();

  private final ReentrantLock threadLock;
  private final FileChannel channel;
  private final FileLock fileLock;

  private LockFile(ReentrantLock threadLock, FileChannel channel, FileLock fileLock) {
    this.threadLock = threadLock;
    this.channel = channel;
    this.fileLock = fileLock;
  }

  /** Blocks until the lock on {@code file} is held (creating the file when missing). */
  public static LockFile acquire(Path file) {
    Path key = file.toAbsolutePath().normalize();
    ReentrantLock threadLock = IN_PROCESS.computeIfAbsent(key, k -> new ReentrantLock());
    if (threadLock.isHeldByCurrentThread()) {
      throw new IllegalStateException(key + " is locked by this thread already");
    }
    threadLock.lock();
    FileChannel channel = null;
    try {
      channel =
          FileChannel.open(
              key, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
      return new LockFile(threadLock, channel, channel.lock());
    } catch (IOException e) {
      closeQuietly(channel);
      threadLock.unlock();
      throw new UncheckedIOException("cannot lock " + key + ": " + e.getMessage(), e);
    } catch (RuntimeException | Error e) {
      closeQuietly(channel);
      threadLock.unlock();
      throw e;
    }
  }

  /** Takes the lock when nobody holds it; null when another thread or process does. */
  public static LockFile tryAcquire(Path file) {
    Path key = file.toAbsolutePath().normalize();
    ReentrantLock threadLock = IN_PROCESS.computeIfAbsent(key, k -> new ReentrantLock());
    if (threadLock.isHeldByCurrentThread() || !threadLock.tryLock()) {
      return null;
    }
    FileChannel channel = null;
    try {
      channel =
          FileChannel.open(
              key, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
      FileLock lock = channel.tryLock();
      if (lock == null) {
        closeQuietly(channel);
        threadLock.unlock();
        return null;
      }
      return new LockFile(threadLock, channel, lock);
    } catch (IOException e) {
      closeQuietly(channel);
      threadLock.unlock();
      throw new UncheckedIOException("cannot lock " + key + ": " + e.getMessage(), e);
    } catch (RuntimeException | Error e) {
      closeQuietly(channel);
      threadLock.unlock();
      throw e;
    }
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // Closing after a failure; the first error is the one to report.
      }
    }
  }

  @Override
  public void close() {
    try {
      fileLock.release();
      channel.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      threadLock.unlock();
    }
  }
}
