package io.flashtensors.format;

import io.flashtensors.memory.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Converts a safetensors checkpoint (a file or a folder, sharded or not) into the flash layout.
 *
 * <p>The layout is built in a temporary folder beside the destination and renamed into place only
 * when complete, so a crash or a full disk leaves no half model behind. Converting again from an
 * unchanged source is a no-op unless {@link Builder#force(boolean) forced}: the manifest records
 * each source file's size, modification time and SHA-256.
 */
public final class FlashConverter {

  /** Weight formats that are not copied beside the layout. */
  private static final Set<String> WEIGHT_SUFFIXES =
      Set.of(".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".h5", ".msgpack", ".gguf", ".onnx");

  private final long partitionSize;
  private final int checksumBlockSize;
  private final boolean force;
  private final String modelId;
  private final String revision;
  private final Progress progress;
  private final FlashLayoutWriter.WriteCheck writeCheck;

  private FlashConverter(Builder b) {
    this.partitionSize = b.partitionSize;
    this.checksumBlockSize = b.checksumBlockSize;
    this.force = b.force;
    this.modelId = b.modelId;
    this.revision = b.revision;
    this.progress = b.progress;
    this.writeCheck = b.writeCheck;
  }

  /** A converter with default settings. */
  public static FlashConverter create() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * What a conversion did.
   *
   * @param destination the flash layout folder
   * @param skipped true when the destination was already up to date and nothing was written
   * @param manifest the destination's manifest
   * @param bytesWritten bytes of partitions written (0 when skipped)
   * @param nanos time taken
   */
  public record Result(
      Path destination, boolean skipped, FlashManifest manifest, long bytesWritten, long nanos) {}

  /** Converts {@code source} into a flash layout at {@code destination}. */
  public Result convert(Path source, Path destination) throws IOException {
    long start = System.nanoTime();
    SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(source);
    Path sourceFolder = Files.isDirectory(source) ? source : null;
    List<Path> extras = sourceFolder == null ? List.of() : extraFiles(sourceFolder);
    ModelIdentity identity =
        ModelIdentity.of(sourceFolder == null ? source.toAbsolutePath().getParent() : sourceFolder);
    String id = modelId != null ? modelId : identity.modelId();
    String rev = revision != null ? revision : identity.revision();

    Path sourceAbsolute = source.toAbsolutePath().normalize();
    Path destinationAbsolute = destination.toAbsolutePath().normalize();
    if (sourceAbsolute.startsWith(destinationAbsolute)) {
      throw new FormatException(
          destination,
          "is or contains the source %s; choose another destination".formatted(source));
    }
    if (Files.exists(destination)) {
      FlashManifest existing = existingLayout(destination);
      if (existing != null
          && !force
          && upToDate(existing, destination, checkpoint, extras, id, rev)) {
        return new Result(destination, true, existing, 0, System.nanoTime() - start);
      }
    }
    Path parent = destination.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Path temp = AtomicFiles.temporarySibling(destination);
    Files.createDirectory(temp);
    try (Arena arena = Arena.ofConfined()) {
      List<Tensor> tensors = new ArrayList<>();
      List<FlashManifest.FileRecord> sources = new ArrayList<>();
      for (SafetensorsFile file : checkpoint.files()) {
        MemorySegment mapped = map(file, arena);
        for (SafetensorsFile.Entry e : file.tensors()) {
          tensors.add(
              new Tensor(
                  e.name(),
                  e.dtype(),
                  e.shape(),
                  mapped.asSlice(file.dataStart() + e.begin(), e.length())));
        }
      }
      FlashLayoutWriter.Written written =
          new FlashLayoutWriter(partitionSize, checksumBlockSize, progress, writeCheck)
              .write(temp, tensors);
      for (SafetensorsFile file : checkpoint.files()) {
        sources.add(describe(sourceName(checkpoint, file.path()), file.path()));
      }
      List<FlashManifest.FileRecord> copied = new ArrayList<>();
      for (Path extra : extras) {
        Path target = temp.resolve(extra.getFileName().toString());
        Files.copy(extra, target, StandardCopyOption.COPY_ATTRIBUTES);
        copied.add(describe(extra.getFileName().toString(), extra));
      }
      FlashManifest manifest =
          new FlashManifest(
              FlashManifest.VERSION,
              id,
              rev,
              FlashManifest.ALIGNMENT,
              checksumBlockSize,
              partitionSize,
              createdBy(),
              checkpoint.metadata(),
              sources,
              copied,
              written.partitions(),
              written.tensors());
      manifest.write(temp);
      AtomicFiles.replaceFolder(temp, destination);
      return new Result(
          destination, false, manifest, written.bytesWritten(), System.nanoTime() - start);
    } catch (IOException | RuntimeException | Error e) {
      AtomicFiles.deleteQuietly(temp, e);
      throw e;
    }
  }

  private FlashManifest existingLayout(Path destination) throws IOException {
    if (FlashManifest.isFlashLayout(destination)) {
      try {
        FlashManifest manifest = FlashManifest.read(destination);
        ModelFiles.fromFlash(destination, manifest);
        return manifest;
      } catch (FormatException e) {
        if (!force) {
          throw new FormatException(
              destination,
              "exists but is not a valid flash layout (%s); use --force to replace it"
                  .formatted(e.getMessage()),
              e);
        }
        return null;
      }
    }
    if (!force && !isEmptyFolder(destination)) {
      throw new FormatException(
          destination, "exists and is not a flash layout; use --force to replace it");
    }
    return null;
  }

  private static boolean isEmptyFolder(Path path) throws IOException {
    if (!Files.isDirectory(path)) {
      return false;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(path)) {
      return !entries.iterator().hasNext();
    }
  }

  private boolean upToDate(
      FlashManifest manifest,
      Path destination,
      SafetensorsCheckpoint checkpoint,
      List<Path> extras,
      String id,
      String rev)
      throws IOException {
    if (manifest.version() != FlashManifest.VERSION
        || manifest.partitionSize() != partitionSize
        || manifest.checksumBlockSize() != checksumBlockSize
        || !manifest.modelId().equals(id)
        || !Objects.equals(manifest.revision(), rev)
        || manifest.sources().size() != checkpoint.files().size()
        || manifest.files().size() != extras.size()) {
      return false;
    }
    for (int i = 0; i < checkpoint.files().size(); i++) {
      Path file = checkpoint.files().get(i).path();
      if (!sameFile(manifest.sources().get(i), sourceName(checkpoint, file), file)) {
        return false;
      }
    }
    for (int i = 0; i < extras.size(); i++) {
      Path extra = extras.get(i);
      if (!sameFile(manifest.files().get(i), extra.getFileName().toString(), extra)
          || !Files.isRegularFile(destination.resolve(manifest.files().get(i).path()))) {
        return false;
      }
    }
    return true;
  }

  /** Same name and size, and the same time stamp or, failing that, the same SHA-256. */
  private static boolean sameFile(FlashManifest.FileRecord record, String name, Path file)
      throws IOException {
    if (!record.path().equals(name) || record.size() != Files.size(file)) {
      return false;
    }
    if (record.modifiedMillis() == Files.getLastModifiedTime(file).toMillis()) {
      return true;
    }
    return record.sha256().equals(sha256(file));
  }

  private static String sourceName(SafetensorsCheckpoint checkpoint, Path file) {
    Path root = checkpoint.root();
    return Files.isDirectory(root)
        ? root.toAbsolutePath().normalize().relativize(file.toAbsolutePath().normalize()).toString()
        : file.getFileName().toString();
  }

  private static List<Path> extraFiles(Path folder) throws IOException {
    List<Path> extras = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
      for (Path p : entries) {
        String name = p.getFileName().toString();
        String lower = name.toLowerCase(Locale.ROOT);
        boolean weights = WEIGHT_SUFFIXES.stream().anyMatch(lower::endsWith);
        if (Files.isRegularFile(p)
            && !name.startsWith(".")
            && !weights
            && !lower.endsWith(".safetensors.index.json")
            && !name.equals(FlashManifest.FILE_NAME)) {
          extras.add(p);
        }
      }
    }
    extras.sort(null);
    return extras;
  }

  private static MemorySegment map(SafetensorsFile file, Arena arena) throws IOException {
    try (FileChannel channel = FileChannel.open(file.path(), StandardOpenOption.READ)) {
      long size = channel.size();
      if (size != file.fileSize()) {
        throw new FormatException(
            file.path(),
            "changed while converting: %d bytes, was %d".formatted(size, file.fileSize()));
      }
      return size == 0
          ? MemorySegment.NULL
          : channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
    }
  }

  private static FlashManifest.FileRecord describe(String name, Path file) throws IOException {
    return new FlashManifest.FileRecord(
        name, Files.size(file), Files.getLastModifiedTime(file).toMillis(), sha256(file));
  }

  /** SHA-256 of a file's content, lower-case hex. */
  public static String sha256(Path file) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocateDirect(4 << 20);
      while (channel.read(buffer) >= 0) {
        buffer.flip();
        digest.update(buffer);
        buffer.clear();
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  static String createdBy() {
    String version = FlashConverter.class.getPackage().getImplementationVersion();
    return "flashtensors " + (version == null ? "development" : version);
  }

  /** Settings of a {@link FlashConverter}. */
  public static final class Builder {
    private long partitionSize = FlashLayoutWriter.DEFAULT_PARTITION_SIZE;
    private int checksumBlockSize = FlashLayoutWriter.DEFAULT_CHECKSUM_BLOCK;
    private boolean force;
    private String modelId;
    private String revision;
    private Progress progress = Progress.NONE;
    private FlashLayoutWriter.WriteCheck writeCheck = FlashLayoutWriter.WriteCheck.NONE;

    private Builder() {}

    /**
     * Largest partition file, in bytes (default 4 GiB). A tensor larger than this gets a partition
     * of its own.
     */
    public Builder partitionSize(long bytes) {
      if (bytes < FlashManifest.ALIGNMENT) {
        throw new IllegalArgumentException(
            "partition size must be at least %d bytes".formatted(FlashManifest.ALIGNMENT));
      }
      this.partitionSize = bytes;
      return this;
    }

    /** Bytes covered by each CRC32C (default 1 MiB); a multiple of 4 KiB. */
    public Builder checksumBlockSize(int bytes) {
      if (bytes <= 0 || bytes % FlashManifest.ALIGNMENT != 0) {
        throw new IllegalArgumentException(
            "checksum block size must be a positive multiple of %d"
                .formatted(FlashManifest.ALIGNMENT));
      }
      this.checksumBlockSize = bytes;
      return this;
    }

    /** Convert even when the destination is up to date, and replace whatever is there. */
    public Builder force(boolean force) {
      this.force = force;
      return this;
    }

    /** Model id recorded in the manifest (default: guessed from the source folder). */
    public Builder modelId(String modelId) {
      this.modelId = modelId;
      return this;
    }

    /** Revision recorded in the manifest (default: the snapshot commit, when there is one). */
    public Builder revision(String revision) {
      this.revision = revision;
      return this;
    }

    /** Receives bytes converted so far and in all. */
    public Builder progress(Progress progress) {
      this.progress = Objects.requireNonNull(progress, "progress");
      return this;
    }

    Builder writeCheck(FlashLayoutWriter.WriteCheck check) {
      this.writeCheck = check;
      return this;
    }

    public FlashConverter build() {
      return new FlashConverter(this);
    }
  }
}
