package io.flashtensors.store.hub;

/**
 * One file of a repository at a commit, as the Hub's model-info API lists it with {@code
 * blobs=true}.
 *
 * @param path the file's path in the repository ({@code model-00001-of-00002.safetensors})
 * @param size bytes
 * @param blobId the git blob id (SHA-1 of {@code "blob <size>\0" + content} for files kept in git;
 *     of the LFS pointer for LFS files)
 * @param lfsSha256 the SHA-256 of the content for files stored in LFS; null for plain git files
 */
public record HubFile(String path, long size, String blobId, String lfsSha256) {

  /** Whether the content is in LFS (large files: weights). */
  public boolean lfs() {
    return lfsSha256 != null;
  }

  /** The file name without folders. */
  public String fileName() {
    int slash = path.lastIndexOf('/');
    return slash < 0 ? path : path.substring(slash + 1);
  }
}
