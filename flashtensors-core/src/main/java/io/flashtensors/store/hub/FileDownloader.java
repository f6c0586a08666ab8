package io.flashtensors.store.hub;

import io.flashtensors.store.ModelId;
import io.flashtensors.store.hub.HubException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Downloads one file of a repository into a folder, the way a flaky network needs: into {@code
 * <name>.incomplete}, resumed from where it stopped with an HTTP range (also across runs of {@code
 * pull}), retried with backoff, a stalled transfer aborted and resumed, and the content checked
 * against the Hub's metadata (SHA-256 for LFS files, the git blob id otherwise) before it is
 * renamed to its name. A file whose checksum does not match is downloaded once more from the start;
 * a second mismatch is an error.
 */
final class FileDownloader {

  private static final int BUFFER = 1 << 20;

  private final HubClient client;
  private final ModelId id;
  private final String commit;
  private final ScheduledExecutorService watchdog;
  private final Duration stallTimeout;

  FileDownloader(
      HubClient client,
      ModelId id,
      String commit,
      ScheduledExecutorService watchdog,
      Duration stallTimeout) {
    this.client = client;
    this.id = id;
    this.commit = commit;
    this.watchdog = watchdog;
    this.stallTimeout = stallTimeout;
  }

  /**
   * Downloads {@code file} into {@code folder} unless a verified copy is there.
   *
   * @param progress told of bytes added (negative when a corrupt partial file is thrown away)
   * @return the downloaded file
   */
  Path download(HubFile file, Path folder, LongConsumer progress) throws IOException {
    Path target = folder.resolve(file.path());
    Path partial = folder.resolve(file.path() + ".incomplete");
    if (Files.isRegularFile(target)) {
      if ((file.size() < 0 || Files.size(target) == file.size()) && matches(file, target)) {
        progress.accept(Files.size(target));
        return target;
      }
      Files.delete(target);
    }
    RetryPolicy retry = client.retryPolicy();
    boolean startedOver = false;
    int attempt = 0;
    while (true) {
      attempt++;
      long have = Files.isRegularFile(partial) ? Files.size(partial) : 0;
      if (file.size() >= 0 && have > file.size()) {
        Files.delete(partial);
        have = 0;
      }
      Digest digest = Digest.of(file);
      if (have > 0) {
        digest.updateFrom(partial, have);
      }
      progress.accept(have);
      long reported = have;
      try {
        reported = fetch(file, partial, have, digest, progress);
      } catch (IOException e) {
        progress.accept(-sizeOrZero(partial));
        if (attempt >= retry.attempts()) {
          if (e instanceof HubClient.TransientHttpException) {
            throw new HubException(Kind.SERVER, e.getMessage() + " (after " + attempt + " tries)");
          }
          throw client.networkFailure(e, java.net.URI.create(client.endpoint()));
        }
        Optional<String> retryAfter =
            e instanceof HubClient.TransientHttpException t ? t.retryAfter() : Optional.empty();
        retry.sleepBefore(attempt + 1, retryAfter);
        continue;
      }
      long size = Files.size(partial);
      if (file.size() >= 0 && size != file.size()) {
        progress.accept(-reported);
        if (attempt >= retry.attempts()) {
          throw new HubException(
              Kind.INTEGRITY,
              file.path() + ": received " + size + " bytes, the Hub lists " + file.size());
        }
        continue; // a short read the server closed cleanly: resume
      }
      String actual = digest.hex();
      if (digest.verifiable() && !actual.equals(digest.expected())) {
        Files.delete(partial);
        progress.accept(-reported);
        if (!startedOver) {
          startedOver = true;
          attempt = 0;
          continue;
        }
        throw new HubException(
            Kind.INTEGRITY,
            id
                + " "
                + file.path()
                + ": "
                + digest.algorithm()
                + " mismatch twice (expected "
                + digest.expected()
                + ", got "
                + actual
                + "): the download is corrupted on the way; nothing was kept");
      }
      try (FileChannel ch = FileChannel.open(partial, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
      return target;
    }
  }

  /** Streams the rest of the file into {@code partial}; returns the bytes it now holds. */
  private long fetch(HubFile file, Path partial, long have, Digest digest, LongConsumer progress)
      throws IOException {
    HubClient.Opened opened = client.open(id, commit, file.path(), have);
    long start = opened.offset();
    if (start == 0 && have > 0) {
      // The server ignored the range: start over.
      progress.accept(-have);
      digest.reset();
    }
    AtomicLong lastRead = new AtomicLong(System.nanoTime());
    InputStream body = opened.body();
    ScheduledFuture<?> stallCheck =
        watchdog.scheduleAtFixedRate(
            () -> {
              if (System.nanoTime() - lastRead.get() > stallTimeout.toNanos()) {
                try {
                  body.close(); // the blocked read fails; the caller resumes
                } catch (IOException ignored) {
                  // Closing a stalled stream.
                }
              }
            },
            stallTimeout.toMillis(),
            Math.max(1, stallTimeout.toMillis() / 4),
            TimeUnit.MILLISECONDS);
    long total = start;
    try (body;
        FileChannel out =
            FileChannel.open(
                partial,
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                start == 0 ? StandardOpenOption.TRUNCATE_EXISTING : StandardOpenOption.APPEND)) {
      byte[] buffer = new byte[BUFFER];
      int n;
      while ((n = body.read(buffer)) >= 0) {
        lastRead.set(System.nanoTime());
        ByteBuffer bb = ByteBuffer.wrap(buffer, 0, n);
        while (bb.hasRemaining()) {
          out.write(bb);
        }
        digest.update(buffer, n);
        total += n;
        progress.accept(n);
      }
    } finally {
      stallCheck.cancel(false);
    }
    return total;
  }

  private static long sizeOrZero(Path p) {
    try {
      return Files.isRegularFile(p) ? Files.size(p) : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  /** Whether a complete file on disk has the content the Hub lists. */
  private static boolean matches(HubFile file, Path path) throws IOException {
    Digest digest = Digest.of(file);
    digest.updateFrom(path, Files.size(path));
    return !digest.verifiable() || digest.hex().equals(digest.expected());
  }

  /** SHA-256 for LFS files, git's blob SHA-1 for the rest. */
  private static final class Digest {
    private final HubFile file;
    private MessageDigest md;

    private Digest(HubFile file) {
      this.file = file;
      reset();
    }

    static Digest of(HubFile file) {
      return new Digest(file);
    }

    /** Git blob ids hash the size first; without a size (never from the Hub) nothing is checked. */
    boolean verifiable() {
      return file.lfs() || (file.size() >= 0 && file.blobId().matches("[0-9a-fA-F]{40}"));
    }

    String algorithm() {
      return file.lfs() ? "sha256" : "git blob sha1";
    }

    String expected() {
      return (file.lfs() ? file.lfsSha256() : file.blobId()).toLowerCase(java.util.Locale.ROOT);
    }

    void reset() {
      try {
        md = MessageDigest.getInstance(file.lfs() ? "SHA-256" : "SHA-1");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
      if (!file.lfs() && file.size() >= 0) {
        md.update(("blob " + file.size() + "\0").getBytes(StandardCharsets.US_ASCII));
      }
    }

    void update(byte[] b, int n) {
      md.update(b, 0, n);
    }

    void updateFrom(Path path, long length) throws IOException {
      try (InputStream in = Files.newInputStream(path)) {
        byte[] buffer = new byte[BUFFER];
        long left = length;
        while (left > 0) {
          int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
          if (n < 0) {
            break;
          }
          md.update(buffer, 0, n);
          left -= n;
        }
      }
    }

    String hex() {
      return HexFormat.of().formatHex(md.digest());
    }
  }
}
