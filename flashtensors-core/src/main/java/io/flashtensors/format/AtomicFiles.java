package io.flashtensors.format;

import io.flashtensors.util.Throwables;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.ThreadLocalRandom;

/** Writes that either complete or leave nothing behind: a temporary name, then a rename. */
final class AtomicFiles {

  /** Writes one file's content into an open channel. */
  @FunctionalInterface
  interface ChannelWriter {
    void write(FileChannel channel) throws IOException;
  }

  private AtomicFiles() {}

  /** Writes {@code file} through a temporary sibling, forced to disk and renamed into place. */
  static void write(Path file, ChannelWriter writer) throws IOException {
    Path absolute = file.toAbsolutePath();
    Files.createDirectories(absolute.getParent());
    Path temp = temporarySibling(absolute);
    try {
      try (FileChannel channel =
          FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        writer.write(channel);
        channel.force(true);
      }
      move(temp, absolute);
    } catch (IOException | RuntimeException | Error e) {
      deleteQuietly(temp, e);
      throw e;
    }
  }

  /** A fresh name beside {@code target} (same folder, so the final rename stays atomic). */
  static Path temporarySibling(Path target) {
    Path absolute = target.toAbsolutePath();
    String name =
        ".%s.tmp-%d-%08x"
            .formatted(
                absolute.getFileName(),
                ProcessHandle.current().pid(),
                ThreadLocalRandom.current().nextInt());
    return absolute.resolveSibling(name);
  }

  /** Renames atomically, replacing a file (not a non-empty folder) at the target. */
  static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Deletes a file or a folder tree; missing is fine. */
  static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(
        path,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.deleteIfExists(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
            if (exc != null) {
              throw exc;
            }
            Files.deleteIfExists(dir);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  /** Cleans up after a failure without hiding it: a cleanup error is added as suppressed. */
  static void deleteQuietly(Path path, Throwable failure) {
    try {
      deleteRecursively(path);
    } catch (NoSuchFileException ignored) {
      // already gone
    } catch (IOException | RuntimeException e) {
      Throwables.suppress(failure, e);
    }
  }

  /**
   * Puts a finished folder in place of {@code target}: a plain rename when nothing is there,
   * otherwise the old folder is renamed aside first and deleted once the new one is in place.
   */
  static void replaceFolder(Path finished, Path target) throws IOException {
    forceFolder(finished);
    Path absolute = target.toAbsolutePath();
    if (!Files.exists(absolute, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      Files.move(finished, absolute, StandardCopyOption.ATOMIC_MOVE);
    } else {
      Path old = temporarySibling(absolute.resolveSibling(absolute.getFileName() + ".old"));
      Files.move(absolute, old, StandardCopyOption.ATOMIC_MOVE);
      try {
        Files.move(finished, absolute, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException | RuntimeException e) {
        try {
          Files.move(old, absolute, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException restore) {
          Throwables.suppress(e, restore);
        }
        throw e;
      }
      deleteRecursively(old);
    }
    if (absolute.getParent() != null) {
      forceFolder(absolute.getParent());
    }
  }

  /** Flushes a folder's entries to disk, where the file system allows it. */
  static void forceFolder(Path folder) {
    try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException | UnsupportedOperationException ignored) {
      // Some file systems cannot open or sync folders; the renames are still atomic there.
    }
  }
}
