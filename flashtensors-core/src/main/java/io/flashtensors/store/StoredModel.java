package io.flashtensors.store;

import java.time.Instant;
import java.util.List;

/**
 * One entry of the store's index: a model id and revision converted to the flash layout.
 *
 * @param id the model id ({@code org/name})
 * @param revision the revision name ({@code main}, {@code local}, a tag or a commit)
 * @param commit the Hub commit the files came from; empty for local folders
 * @param source where it came from: {@code hf://org/name@commit} or the local folder
 * @param fingerprint identifies the source's content (the Hub commit, or a digest of a local
 *     folder's file names, sizes and modification times): registering the same again is a no-op
 * @param registeredAt when it entered the store
 * @param tensorBytes bytes of tensor data
 * @param diskBytes bytes of the whole folder on disk
 * @param dtypes the tensor dtypes, e.g. {@code [BF16]}
 * @param partitions data partitions of the flash layout
 * @param tensors number of tensors
 * @param keptSource whether the original safetensors are kept beside it ({@code
 *     --keep-safetensors})
 */
public record StoredModel(
    String id,
    String revision,
    String commit,
    String source,
    String fingerprint,
    Instant registeredAt,
    long tensorBytes,
    long diskBytes,
    List<String> dtypes,
    int partitions,
    int tensors,
    boolean keptSource) {

  public StoredModel {
    dtypes = List.copyOf(dtypes);
    commit = commit == null ? "" : commit;
  }

  /** The parsed model id. */
  public ModelId modelId() {
    return ModelId.parse(id);
  }

  /** {@code org/name@revision}. */
  public String displayName() {
    return id + "@" + revision;
  }
}
