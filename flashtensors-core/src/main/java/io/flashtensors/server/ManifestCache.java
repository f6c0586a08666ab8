package io.flashtensors.server;

import io.flashtensors.format.FlashManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Parsed manifests of store folders, so that a hot swap does not parse the same manifest (tens of
 * kilobytes of JSON, a checksum a mebibyte) on every request. An entry is used only while the file
 * is the same file with the same size and modification time; a model registered again under the
 * same id and revision is a new file and is read again.
 */
final class ManifestCache {

  /** Folders remembered at most; past it the cache starts over (a store holds far fewer). */
  private static final int MAX_ENTRIES = 1024;

  private final Map<Path, Entry> entries = new ConcurrentHashMap<>();

  private record Entry(Object fileKey, FileTime modified, long size, FlashManifest manifest) {}

  /** The manifest of {@code folder}, as {@link FlashManifest#read} reads and checks it. */
  FlashManifest read(Path folder) throws IOException {
    Path file = folder.resolve(FlashManifest.FILE_NAME);
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      entries.remove(folder);
      return FlashManifest.read(folder); // its error names the problem
    }
    Entry cached = entries.get(folder);
    if (cached != null
        && Objects.equals(cached.fileKey(), attributes.fileKey())
        && cached.modified().equals(attributes.lastModifiedTime())
        && cached.size() == attributes.size()) {
      return cached.manifest();
    }
    FlashManifest manifest = FlashManifest.read(folder);
    if (entries.size() >= MAX_ENTRIES) {
      entries.clear();
    }
    entries.put(
        folder,
        new Entry(
            attributes.fileKey(), attributes.lastModifiedTime(), attributes.size(), manifest));
    return manifest;
  }
}
