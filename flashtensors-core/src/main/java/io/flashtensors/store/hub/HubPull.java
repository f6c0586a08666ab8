package io.flashtensors.store.hub;

import io.flashtensors.store.ModelConverter;
import io.flashtensors.store.ModelId;
import io.flashtensors.store.ModelStore;
import io.flashtensors.store.Progress;
import io.flashtensors.store.RegisterOptions;
import io.flashtensors.store.Revisions;
import io.flashtensors.store.StoredModel;
import io.flashtensors.store.hub.HubException.Kind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code flashtensors pull}: downloads what a model needs from the Hugging Face Hub and converts it
 * into the store.
 *
 * <p>Only the files the engine reads are fetched: the safetensors weights (the shards an index
 * names, or {@code model.safetensors}), the index, {@code config.json}, {@code
 * generation_config.json} and the tokenizer files. Weights download in parallel into the store's
 * download folder for the model and commit, so that a pull that was interrupted resumes; each file
 * is checked against the Hub's checksums. Then the converter writes the flash layout into the store
 * and the downloads are deleted, or kept beside the model with {@code keepSafetensors}.
 */
public final class HubPull {

  /** Files besides the weights that a model needs, when the repository has them. */
  static final List<String> SUPPORT_FILES =
      List.of(
          "config.json",
          "generation_config.json",
          "tokenizer.json",
          "tokenizer_config.json",
          "special_tokens_map.json",
          "added_tokens.json",
          "vocab.json",
          "merges.txt",
          "tokenizer.model",
          "chat_template.jinja",
          "chat_template.json");

  static final String INDEX = "model.safetensors.index.json";

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final HubClient client;
  private final ModelStore store;
  private final ModelConverter converter;
  private final Duration stallTimeout;

  /**
   * @param stallTimeout how long a download may receive nothing before it is aborted and resumed
   */
  public HubPull(
      HubClient client, ModelStore store, ModelConverter converter, Duration stallTimeout) {
    this.client = client;
    this.store = store;
    this.converter = converter;
    this.stallTimeout = stallTimeout;
  }

  public HubPull(HubClient client, ModelStore store, ModelConverter converter) {
    this(client, store, converter, Duration.ofSeconds(60));
  }

  /**
   * How to pull.
   *
   * @param revision branch, tag or commit; {@code main} by default
   * @param keepSafetensors keep the downloaded safetensors beside the converted model
   * @param force download and convert again even when the store has this commit
   * @param parallelDownloads files downloaded at once
   */
  public record Options(
      String revision, boolean keepSafetensors, boolean force, int parallelDownloads) {
    public Options {
      revision = revision == null || revision.isBlank() ? Revisions.DEFAULT_HUB : revision;
      Revisions.check(revision);
      if (parallelDownloads < 1) {
        throw new IllegalArgumentException("parallelDownloads must be at least 1");
      }
    }

    public static Options defaults() {
      return new Options(Revisions.DEFAULT_HUB, false, false, 8);
    }
  }

  /**
   * What a pull did.
   *
   * @param model the store entry
   * @param upToDate true when the store had this commit already and nothing was downloaded
   * @param downloadedBytes bytes of the files fetched (or found complete from an earlier run)
   * @param downloadSeconds wall time of the downloads
   * @param convertSeconds wall time of the conversion
   */
  public record Result(
      StoredModel model,
      boolean upToDate,
      long downloadedBytes,
      double downloadSeconds,
      double convertSeconds) {}

  /** Pulls a model into the store. */
  public Result pull(ModelId id, Options options, Progress progress) {
    RepoInfo info = client.modelInfo(id, options.revision());
    Optional<StoredModel> existing = store.find(id, options.revision());
    if (!options.force()
        && existing.isPresent()
        && existing.get().commit().equals(info.commit())
        && (!options.keepSafetensors() || existing.get().keptSource())) {
      return new Result(existing.get(), true, 0, 0, 0);
    }
    try (ModelStore.DownloadArea area = store.downloads(id, info.commit());
        ScheduledExecutorService watchdog =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().factory())) {
      FileDownloader downloader =
          new FileDownloader(client, id, info.commit(), watchdog, stallTimeout);
      long t0 = System.nanoTime();
      List<HubFile> support = new ArrayList<>();
      for (String name : SUPPORT_FILES) {
        info.file(name).ifPresent(support::add);
      }
      Optional<HubFile> index = info.file(INDEX);
      index.ifPresent(support::add);
      long supportBytes = support.stream().mapToLong(f -> Math.max(0, f.size())).sum();
      AtomicLong done = new AtomicLong();
      long[] total = {supportBytes};
      for (HubFile f : support) {
        downloader.download(
            f, area.folder(), n -> progress.update("download", done.addAndGet(n), total[0]));
      }
      List<HubFile> weights = selectWeights(info, index.map(i -> area.folder().resolve(i.path())));
      total[0] += weights.stream().mapToLong(f -> Math.max(0, f.size())).sum();
      downloadAll(
          downloader, weights, area.folder(), options.parallelDownloads(), done, total, progress);
      long downloaded = done.get();
      double downloadSeconds = (System.nanoTime() - t0) / 1e9;

      long t1 = System.nanoTime();
      StoredModel model =
          store.register(
              id,
              options.revision(),
              area.folder(),
              converter,
              new RegisterOptions(
                  true,
                  options.keepSafetensors(),
                  info.commit(),
                  "hf://" + id + "@" + info.commit()),
              progress);
      double convertSeconds = (System.nanoTime() - t1) / 1e9;
      area.discard();
      return new Result(model, false, downloaded, downloadSeconds, convertSeconds);
    } catch (IOException e) {
      throw new HubException(
          Kind.SERVER,
          "cannot pull " + id + ": " + (e.getMessage() == null ? e : e.getMessage()),
          e);
    }
  }

  /**
   * The weight files to fetch: the shards named by the index when there is one, else {@code
   * model.safetensors}, else every top-level {@code .safetensors} file.
   */
  static List<HubFile> selectWeights(RepoInfo info, Optional<Path> indexFile) throws IOException {
    if (indexFile.isPresent()) {
      Set<String> shards = new LinkedHashSet<>();
      try {
        JsonNode map = JSON.readTree(Files.readAllBytes(indexFile.get())).path("weight_map");
        if (!map.isObject() || map.isEmpty()) {
          throw new HubException(Kind.INTEGRITY, info.id() + " " + INDEX + " has no weight_map");
        }
        for (JsonNode shard : map) {
          shards.add(shard.asString());
        }
      } catch (JacksonException e) {
        throw new HubException(
            Kind.INTEGRITY,
            info.id() + " " + INDEX + " is not valid JSON: " + e.getOriginalMessage());
      }
      List<HubFile> files = new ArrayList<>();
      for (String shard : shards) {
        if (!safeName(shard)) {
          throw new HubException(
              Kind.INTEGRITY,
              info.id() + " " + INDEX + " names a shard outside the repository root: " + shard);
        }
        files.add(
            info.file(shard)
                .orElseThrow(
                    () ->
                        new HubException(
                            Kind.INTEGRITY,
                            info.id()
                                + " "
                                + INDEX
                                + " names "
                                + shard
                                + ", which the repository lacks")));
      }
      return files;
    }
    Optional<HubFile> single = info.file("model.safetensors");
    if (single.isPresent()) {
      return List.of(single.get());
    }
    List<HubFile> all =
        info.files().stream()
            .filter(f -> safeName(f.path()) && f.path().endsWith(".safetensors"))
            .toList();
    if (all.isEmpty()) {
      List<String> names = info.files().stream().map(HubFile::path).limit(12).toList();
      throw new HubException(
          Kind.NOT_FOUND,
          info.id()
              + "@"
              + info.commit().substring(0, 7)
              + " has no .safetensors weights (files: "
              + String.join(", ", names)
              + "): flashtensors reads safetensors only");
    }
    return all;
  }

  /** A plain file name at the repository's top level. */
  private static boolean safeName(String name) {
    return !name.isEmpty()
        && !name.contains("/")
        && !name.contains("\\")
        && !name.equals(".")
        && !name.equals("..")
        && !name.startsWith(".");
  }

  private static void downloadAll(
      FileDownloader downloader,
      List<HubFile> files,
      Path folder,
      int parallel,
      AtomicLong done,
      long[] total,
      Progress progress)
      throws IOException {
    Semaphore slots = new Semaphore(parallel);
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<Path>> futures = new ArrayList<>();
      for (HubFile f : files) {
        futures.add(
            pool.submit(
                () -> {
                  slots.acquire();
                  try {
                    return downloader.download(
                        f, folder, n -> progress.update("download", done.addAndGet(n), total[0]));
                  } finally {
                    slots.release();
                  }
                }));
      }
      RuntimeException firstFailure = null;
      for (Future<Path> future : futures) {
        try {
          future.get();
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          RuntimeException failure =
              cause instanceof RuntimeException r
                  ? r
                  : cause instanceof IOException io
                      ? new UncheckedIOException(io)
                      : new IllegalStateException(cause);
          if (firstFailure == null) {
            firstFailure = failure;
            futures.forEach(other -> other.cancel(true));
          }
        } catch (java.util.concurrent.CancellationException e) {
          // Cancelled after the first failure.
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
      }
      if (firstFailure instanceof UncheckedIOException u) {
        throw u.getCause();
      }
      if (firstFailure != null) {
        throw firstFailure;
      }
    }
  }
}
