package io.flashtensors.spring.model;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A model found on disk, ready to be opened by a {@link ChatEngineFactory}.
 *
 * @param id the model id: the store id (such as {@code Qwen/Qwen3-0.6B}) or the folder's name
 * @param folder the folder holding {@code config.json}, the tokenizer and the weights (Hugging Face
 *     safetensors or the flash layout)
 */
public record ResolvedModel(String id, Path folder) {

  public ResolvedModel {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(folder, "folder");
  }
}
