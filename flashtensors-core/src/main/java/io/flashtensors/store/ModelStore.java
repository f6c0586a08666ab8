package io.flashtensors.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The model store: one folder per model id and revision, in the flash layout, under a root folder
 * ({@code storage-path}), and an index of what is there.
 *
 * <pre>
 * root/
 *   index.json             entries (written last, atomically: temp file + rename)
 *   .lock                  held while the index or the model folders change
 *   .tmp/                  conversions and downloads in progress, each with its own lock
 *   Qwen/Qwen3-0.6B/main/  the flash layout (manifest, partitions, config, tokenizer)
 * </pre>
 *
 * <p>Safe against crashes: a model is converted into {@code .tmp/}, renamed into place, and only
 * then entered into the index, so a crash leaves no entry (and the next open deletes its
 * leftovers). Safe between processes: changes happen under the {@code .lock} file lock, readers see
 * either the old or the new index. Nothing escapes the root: ids and revisions are validated, and a
 * model's folder is refused when any part of it is a symbolic link.
 */
public final class ModelStore {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final String INDEX = "index.json";
  private static final String KEPT_SOURCE = "safetensors";
  private static final String DOWNLOADS = ".downloads";

  private final Path root;

  private ModelStore(Path root) {
    this.root = root;
  }

  /**
   * Opens (creating when missing) the store at {@code root} and deletes leftovers of conversions
   * that crashed.
   */
  public static ModelStore open(Path root) {
    try {
      Files.createDirectories(root);
      Path real = root.toRealPath();
      ModelStore store = new ModelStore(real);
      Files.createDirectories(store.tmp());
      store.deleteAbandonedStaging();
      return store;
    } catch (IOException e) {
      throw new StoreException("cannot open the model store at " + root + ": " + describe(e), e);
    }
  }

  /** The store's root folder (symbolic links resolved). */
  public Path root() {
    return root;
  }

  /** Every model in the store, ordered by id and revision. */
  public List<StoredModel> list() {
    return readIndex().models();
  }

  /**
   * Finds a model.
   *
   * @param revision a revision name, or null for the revision registered last
   */
  public Optional<StoredModel> find(ModelId id, String revision) {
    return select(readIndex().models(), id, revision);
  }

  /**
   * Finds a model or fails with a message that says how to get it.
   *
   * @param revision a revision name, or null for the revision registered last
   */
  public StoredModel get(ModelId id, String revision) {
    return find(id, revision)
        .orElseThrow(
            () -> {
              List<String> revisions =
                  list().stream()
                      .filter(m -> m.id().equals(id.toString()))
                      .map(StoredModel::revision)
                      .toList();
              if (!revisions.isEmpty()) {
                return new ModelNotFoundException(
                    "model "
                        + id
                        + " has no revision '"
                        + revision
                        + "' in the store (it has "
                        + String.join(", ", revisions)
                        + ")");
              }
              return new ModelNotFoundException(
                  "model "
                      + id
                      + " is not in the store at "
                      + root
                      + ": `flashtensors pull "
                      + id
                      + "` or `flashtensors register "
                      + id
                      + " FOLDER` first");
            });
  }

  /**
   * The folder of a model, checked to lie inside the store with no symbolic link on the way, and
   * holding no symbolic links.
   */
  public Path folder(StoredModel model) {
    ModelId id = model.modelId();
    Path folder = modelFolder(id, model.revision());
    try {
      Path p = root;
      for (String part : List.of(id.org(), id.name(), Revisions.folderName(model.revision()))) {
        p = p.resolve(part);
        if (Files.isSymbolicLink(p)) {
          throw new StoreException(
              p + " is a symbolic link: the store refuses links that may lead outside it");
        }
      }
      if (!Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS)) {
        throw new StoreException(
            "the folder of "
                + model.displayName()
                + " is missing: "
                + folder
                + " (run `flashtensors rm "
                + model.id()
                + "` and register it again)");
      }
      if (!folder.toRealPath().startsWith(root)) {
        throw new StoreException(folder + " lies outside the store " + root);
      }
      try (Stream<Path> files = Files.walk(folder)) {
        Optional<Path> link = files.filter(Files::isSymbolicLink).findFirst();
        if (link.isPresent()) {
          throw new StoreException(
              link.get() + " is a symbolic link: the store refuses links that may lead outside it");
        }
      }
      return folder;
    } catch (IOException e) {
      throw new StoreException("cannot read " + folder + ": " + describe(e), e);
    }
  }

  /**
   * Converts a local Hugging Face folder into the store. When the same id and revision is there
   * already from the same source content, nothing happens unless {@code options.force()}; when the
   * source changed, the entry is replaced.
   *
   * @return the entry now in the store
   */
  public StoredModel register(
      ModelId id,
      String revision,
      Path source,
      ModelConverter converter,
      RegisterOptions options,
      Progress progress) {
    Revisions.check(revision);
    if (!Files.isDirectory(source)) {
      throw new StoreException(source + " is not a folder (expected a Hugging Face model folder)");
    }
    String fingerprint = options.commit().isEmpty() ? fingerprint(source) : options.commit();
    Optional<StoredModel> existing = find(id, revision);
    if (!options.force()
        && existing.isPresent()
        && existing.get().fingerprint().equals(fingerprint)
        && Files.isDirectory(modelFolder(id, revision))) {
      return existing.get();
    }
    try (Staging staging = newStaging()) {
      Path out = staging.folder().resolve("model");
      Files.createDirectories(out);
      ModelConverter.ConvertedModel converted;
      try {
        converted = converter.convert(source, out, id, revision, progress);
      } catch (IOException e) {
        throw new StoreException("cannot convert " + source + " into the store: " + describe(e), e);
      }
      if (options.keepSource()) {
        // Downloads staged inside the store move (same file system, no second copy).
        boolean staged = source.toAbsolutePath().normalize().startsWith(root.resolve(DOWNLOADS));
        keepSafetensors(source, out.resolve(KEPT_SOURCE), staged);
      }
      StoredModel entry =
          new StoredModel(
              id.toString(),
              revision,
              options.commit(),
              options.sourceDescription().isEmpty()
                  ? source.toAbsolutePath().normalize().toString()
                  : options.sourceDescription(),
              fingerprint,
              Instant.now(),
              converted.tensorBytes(),
              sizeOf(out),
              converted.dtypes(),
              converted.partitions(),
              converted.tensors(),
              options.keepSource());
      return install(entry, out);
    } catch (IOException e) {
      throw new StoreException("cannot register " + id + ": " + describe(e), e);
    }
  }

  /**
   * Removes a model.
   *
   * @param revision a revision, or null for every revision of the id
   * @return the entries removed
   * @throws ModelNotFoundException when there is none
   */
  @SuppressWarnings("try") // the lock is held by the try block, not used in it
  public List<StoredModel> remove(ModelId id, String revision) {
    List<StoredModel> removed = new ArrayList<>();
    List<Path> doomed = new ArrayList<>();
    try (LockFile lock = LockFile.acquire(storeLockFile())) {
      Index index = readIndex();
      List<StoredModel> keep = new ArrayList<>();
      for (StoredModel m : index.models()) {
        boolean match =
            m.id().equals(id.toString()) && (revision == null || m.revision().equals(revision));
        (match ? removed : keep).add(m);
      }
      if (removed.isEmpty()) {
        get(id, revision); // throws the explanatory not-found message
      }
      // The index goes first: a crash now leaves a folder without an entry, never an entry
      // without a folder.
      writeIndex(new Index(1, keep));
      for (StoredModel m : removed) {
        Path folder = modelFolder(id, m.revision());
        if (Files.exists(folder, LinkOption.NOFOLLOW_LINKS)) {
          Path aside = tmp().resolve(UUID.randomUUID() + "-removed");
          Files.move(folder, aside, StandardCopyOption.ATOMIC_MOVE);
          doomed.add(aside);
        }
      }
      deleteEmptyParents(modelFolder(id, "x").getParent());
    } catch (IOException e) {
      throw new StoreException("cannot remove " + id + ": " + describe(e), e);
    }
    doomed.forEach(ModelStore::deleteTreeQuietly);
    return removed;
  }

  /**
   * A fresh folder under the store's {@code .tmp/} (same file system, so its contents can be
   * renamed into place), deleted on close unless installed. Downloads use it so that a pull that
   * crashes leaves nothing behind but a folder the next open removes.
   */
  @SuppressWarnings("try") // the store lock is held by the try block, not used in it
  public Staging newStaging() throws IOException {
    String name = UUID.randomUUID().toString();
    // Under the store lock, so that an open() cleaning .tmp/ never sees the lock file created
    // but not yet locked (it would take it, delete it, and later delete this live folder).
    try (LockFile storeLock = LockFile.acquire(storeLockFile())) {
      LockFile lock = LockFile.acquire(tmp().resolve(name + ".lock"));
      Path folder = tmp().resolve(name);
      try {
        Files.createDirectories(folder);
      } catch (IOException | RuntimeException e) {
        lock.close();
        throw e;
      }
      return new Staging(folder, lock);
    }
  }

  /**
   * The folder where the files of a Hub pull land before conversion: one per model id and commit,
   * kept across runs so that an interrupted pull resumes, and locked so that two pulls of the same
   * model do not write the same files.
   *
   * @throws StoreException when another pull of the same model and commit is running
   */
  public DownloadArea downloads(ModelId id, String commit) throws IOException {
    if (!commit.matches("[0-9a-f]{40}")) {
      throw new IllegalArgumentException("'" + commit + "' is not a commit id");
    }
    Path parent = root.resolve(DOWNLOADS).resolve(id.org()).resolve(id.name());
    Files.createDirectories(parent);
    Path folder = parent.resolve(commit);
    LockFile lock = LockFile.tryAcquire(parent.resolve(commit + ".lock"));
    if (lock == null) {
      throw new StoreException(
          "another pull of " + id + " is running (it holds " + folder + ".lock)");
    }
    Files.createDirectories(folder);
    return new DownloadArea(folder, lock);
  }

  /** A model's download folder, locked while open; kept on close so that a later pull resumes. */
  public static final class DownloadArea implements AutoCloseable {
    private final Path folder;
    private final LockFile lock;

    DownloadArea(Path folder, LockFile lock) {
      this.folder = folder;
      this.lock = lock;
    }

    public Path folder() {
      return folder;
    }

    /** Deletes the downloaded files (after they went into the store). */
    public void discard() {
      deleteTreeQuietly(folder);
    }

    @Override
    public void close() {
      // The lock file stays: deleting it could let two processes lock two different files.
      lock.close();
    }
  }

  /**
   * Moves a converted model folder (inside a {@link Staging}) into place and enters it into the
   * index, replacing an entry of the same id and revision.
   */
  @SuppressWarnings("try") // the lock is held by the try block, not used in it
  StoredModel install(StoredModel entry, Path converted) throws IOException {
    ModelId id = entry.modelId();
    Path target = modelFolder(id, entry.revision());
    Path old = null;
    try (LockFile lock = LockFile.acquire(storeLockFile())) {
      Files.createDirectories(target.getParent());
      if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
        old = tmp().resolve(UUID.randomUUID() + "-replaced");
        move(target, old);
      }
      move(converted, target);
      Index index = readIndex();
      List<StoredModel> models = new ArrayList<>();
      for (StoredModel m : index.models()) {
        if (!(m.id().equals(entry.id()) && m.revision().equals(entry.revision()))) {
          models.add(m);
        }
      }
      models.add(entry);
      writeIndex(new Index(1, models));
    }
    if (old != null) {
      deleteTreeQuietly(old);
    }
    return entry;
  }

  /** Where a model id and revision lives (validated names, so always inside the root). */
  private Path modelFolder(ModelId id, String revision) {
    return root.resolve(id.org()).resolve(id.name()).resolve(Revisions.folderName(revision));
  }

  private Path tmp() {
    return root.resolve(".tmp");
  }

  private Path storeLockFile() {
    return root.resolve(".lock");
  }

  private static Optional<StoredModel> select(
      List<StoredModel> models, ModelId id, String revision) {
    return models.stream()
        .filter(m -> m.id().equals(id.toString()))
        .filter(m -> revision == null || m.revision().equals(revision))
        .max(Comparator.comparing(StoredModel::registeredAt));
  }

  // ---- the index -----------------------------------------------------------------------------

  /** The index file's content. */
  record Index(int version, List<StoredModel> models) {
    Index {
      models =
          models.stream()
              .sorted(Comparator.comparing(StoredModel::id).thenComparing(StoredModel::revision))
              .toList();
    }
  }

  /** The index as last read, with the identity of the file it came from. */
  private record ReadIndex(Object fileKey, FileTime modified, long size, Index index) {}

  private volatile ReadIndex lastRead;

  private Index readIndex() {
    Path file = root.resolve(INDEX);
    try {
      // Every write replaces the file (temp + rename), so the same file key, time and size mean
      // the same content: a daemon asked about models many times a second reads it once.
      BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
      ReadIndex last = lastRead;
      if (last != null
          && attributes.fileKey() != null
          && attributes.fileKey().equals(last.fileKey())
          && attributes.lastModifiedTime().equals(last.modified())
          && attributes.size() == last.size()) {
        return last.index();
      }
      byte[] bytes = Files.readAllBytes(file);
      Index index = JSON.readValue(bytes, Index.class);
      if (index.version() != 1) {
        throw new StoreException(
            file + " has version " + index.version() + "; this flashtensors reads version 1");
      }
      if (bytes.length == attributes.size()) {
        lastRead =
            new ReadIndex(
                attributes.fileKey(), attributes.lastModifiedTime(), attributes.size(), index);
      }
      return index;
    } catch (NoSuchFileException e) {
      return new Index(1, List.of());
    } catch (IOException e) {
      throw new StoreException("cannot read the store index " + file + ": " + describe(e), e);
    } catch (JacksonException e) {
      throw new StoreException(
          "the store index " + file + " is damaged (" + e.getOriginalMessage() + ")", e);
    }
  }

  private void writeIndex(Index index) throws IOException {
    Path file = root.resolve(INDEX);
    Path temp = tmp().resolve(INDEX + "." + UUID.randomUUID());
    try {
      Files.write(temp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(index));
      try (var channel =
          java.nio.channels.FileChannel.open(temp, java.nio.file.StandardOpenOption.WRITE)) {
        channel.force(true);
      }
      move(temp, file);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  // ---- files -------------------------------------------------------------------------------

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException(
          "cannot rename " + from + " to " + to + " atomically (different file systems?)", e);
    }
  }

  /**
   * Deletes what crashed operations left under {@code .tmp/}. The scan runs under the store lock,
   * which is also held while a staging folder and its lock are created, so every entry seen is
   * either locked by a live operation or abandoned. Abandoned trees are deleted after the store
   * lock is released (they stay locked meanwhile), so a large leftover does not block installs.
   */
  @SuppressWarnings("try") // the store lock is held by the try block, not used in it
  private void deleteAbandonedStaging() throws IOException {
    List<Map.Entry<Path, LockFile>> abandoned = new ArrayList<>();
    try (LockFile storeLock = LockFile.acquire(storeLockFile())) {
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(tmp())) {
        for (Path p : entries) {
          String name = p.getFileName().toString();
          if (name.endsWith(".lock")) {
            continue;
          }
          if (name.startsWith(INDEX + ".")) {
            // An index being written holds the store lock, which is ours now: this one crashed.
            Files.deleteIfExists(p);
            continue;
          }
          LockFile lock = LockFile.tryAcquire(operationLock(name));
          if (lock != null) {
            abandoned.add(Map.entry(p, lock));
          } // else a live operation in this or another process
        }
      }
      // Lock files whose folder is gone and that nobody holds.
      try (DirectoryStream<Path> locks = Files.newDirectoryStream(tmp(), "*.lock")) {
        for (Path lockFile : locks) {
          String base = lockFile.getFileName().toString().replace(".lock", "");
          if (Files.exists(tmp().resolve(base), LinkOption.NOFOLLOW_LINKS)) {
            continue;
          }
          // Null for the locks of the abandoned folders above: this thread holds them.
          LockFile lock = LockFile.tryAcquire(lockFile);
          if (lock != null) {
            try (lock) {
              Files.deleteIfExists(lockFile);
            }
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      abandoned.forEach(entry -> entry.getValue().close());
      throw e;
    }
    for (Map.Entry<Path, LockFile> entry : abandoned) {
      Path folder = entry.getKey();
      try (LockFile lock = entry.getValue()) {
        deleteTreeQuietly(folder);
      }
      // Its id is never reused, so deleting the released lock file races with nobody.
      Files.deleteIfExists(operationLock(folder.getFileName().toString()));
    }
  }

  /**
   * The lock file of an entry of {@code .tmp/}: {@code ID.lock} for {@code ID} (a staging folder)
   * and for {@code ID-replaced} or {@code ID-removed} (old model folders being deleted).
   */
  private Path operationLock(String entryName) {
    String id =
        entryName.contains("-") && entryName.length() > 36 ? entryName.substring(0, 36) : entryName;
    return tmp().resolve(id + ".lock");
  }

  private void deleteEmptyParents(Path folder) throws IOException {
    Path p = folder;
    while (p != null && p.startsWith(root) && !p.equals(root)) {
      try (Stream<Path> s = Files.list(p)) {
        if (s.findAny().isPresent()) {
          return;
        }
      } catch (NoSuchFileException e) {
        p = p.getParent();
        continue;
      }
      Files.deleteIfExists(p);
      p = p.getParent();
    }
  }

  /**
   * Keeps the safetensors files and the JSON files beside them (index, config, tokenizer), copying
   * through links (Hugging Face cache snapshots use them) or moving when they are staged downloads.
   */
  private static void keepSafetensors(Path source, Path target, boolean move) throws IOException {
    Files.createDirectories(target);
    try (DirectoryStream<Path> files = Files.newDirectoryStream(source)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (Files.isRegularFile(f) && (name.endsWith(".safetensors") || name.endsWith(".json"))) {
          if (move && !Files.isSymbolicLink(f)) {
            Files.move(f, target.resolve(name), StandardCopyOption.ATOMIC_MOVE);
          } else {
            Files.copy(f, target.resolve(name));
          }
        }
      }
    }
  }

  static long sizeOf(Path folder) throws IOException {
    long[] total = {0};
    Files.walkFileTree(
        folder,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            total[0] += attrs.size();
            return FileVisitResult.CONTINUE;
          }
        });
    return total[0];
  }

  /** A digest of a local folder's file names, sizes and modification times. */
  static String fingerprint(Path source) {
    try (Stream<Path> files = Files.walk(source, 1)) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
        String line =
            f.getFileName() + "\t" + a.size() + "\t" + a.lastModifiedTime().toMillis() + "\n";
        digest.update(line.getBytes(StandardCharsets.UTF_8));
      }
      return "local:" + HexFormat.of().formatHex(digest.digest()).substring(0, 32);
    } catch (IOException e) {
      throw new StoreException("cannot read " + source + ": " + describe(e), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static void deleteTreeQuietly(Path folder) {
    if (!Files.exists(folder, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try {
      Files.walkFileTree(
          folder,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.deleteIfExists(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
              Files.deleteIfExists(dir);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      // Leftovers under .tmp/ are removed by the next open.
    }
  }

  static String describe(IOException e) {
    if (e instanceof NoSuchFileException n) {
      return "no such file " + n.getFile();
    }
    String m = e.getMessage();
    if (m != null && m.contains("No space left on device")) {
      return "the disk is full (" + m + ")";
    }
    return m == null ? e.getClass().getSimpleName() : m;
  }

  /**
   * A folder under {@code .tmp/} that belongs to one operation; the lock beside it tells other
   * processes it is alive. Closing deletes it (what was installed from it has moved out already).
   */
  public static final class Staging implements AutoCloseable {
    private final Path folder;
    private final LockFile lock;

    Staging(Path folder, LockFile lock) {
      this.folder = folder;
      this.lock = lock;
    }

    /** The staging folder. */
    public Path folder() {
      return folder;
    }

    @Override
    public void close() {
      deleteTreeQuietly(folder);
      Path lockFile = folder.resolveSibling(folder.getFileName() + ".lock");
      try {
        lock.close();
        Files.deleteIfExists(lockFile);
      } catch (IOException | UncheckedIOException e) {
        // The next open removes it.
      }
    }
  }
}
