package io.flashtensors.store.hub;

import java.util.List;
import java.util.Optional;

/**
 * A model repository at one revision.
 *
 * @param id the repository id as the Hub spells it
 * @param commit the commit the revision points at (40 hex digits)
 * @param files every file of the repository at that commit
 * @param gated whether the repository is gated ("auto" or "manual" on the Hub)
 */
public record RepoInfo(String id, String commit, List<HubFile> files, boolean gated) {

  public RepoInfo {
    files = List.copyOf(files);
  }

  /** The file at a path, if the repository has it. */
  public Optional<HubFile> file(String path) {
    return files.stream().filter(f -> f.path().equals(path)).findFirst();
  }
}
