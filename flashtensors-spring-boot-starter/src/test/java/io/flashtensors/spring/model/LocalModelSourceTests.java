package io.flashtensors.spring.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flashtensors.format.DType;
import io.flashtensors.format.Safetensors;
import io.flashtensors.memory.Tensor;
import io.flashtensors.store.FlashModelConverter;
import io.flashtensors.store.ModelId;
import io.flashtensors.store.ModelStore;
import io.flashtensors.store.Progress;
import io.flashtensors.store.RegisterOptions;
import io.flashtensors.store.Revisions;
import io.flashtensors.store.StoredModel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalModelSourceTests {

  @TempDir Path store;

  @TempDir Path elsewhere;

  private final List<ModelId> pulled = new ArrayList<>();

  private LocalModelSource source() {
    return new LocalModelSource(this.store, this::pull);
  }

  /** Stands in for a Hub download: registers a local folder under the pulled id. */
  private StoredModel pull(ModelStore modelStore, ModelId id) {
    this.pulled.add(id);
    try {
      Path source = hfFolder(this.elsewhere.resolve("download-" + id.name()));
      return modelStore.register(
          id,
          Revisions.DEFAULT_HUB,
          source,
          new FlashModelConverter(),
          RegisterOptions.local(),
          Progress.NONE);
    } catch (Exception ex) {
      throw new IllegalStateException(ex);
    }
  }

  private static Path model(Path folder) throws Exception {
    Files.createDirectories(folder);
    Files.writeString(folder.resolve("config.json"), "{}");
    return folder;
  }

  /** A minimal Hugging Face folder: config.json and one safetensors file. */
  private static Path hfFolder(Path folder) throws Exception {
    model(folder);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment data = arena.allocate(64);
      Safetensors.write(
          folder.resolve("model.safetensors"),
          Map.of("w", new Tensor("w", DType.F32, new long[] {4, 4}, data)),
          Map.of());
    }
    return folder;
  }

  @Test
  void aFolderResolvesToItselfNamedAfterIt() throws Exception {
    Path folder = model(this.elsewhere.resolve("Qwen3-0.6B"));

    ResolvedModel resolved = source().resolve(folder.toString(), PullPolicy.NEVER);

    assertThat(resolved.id()).isEqualTo("Qwen3-0.6B");
    assertThat(resolved.folder()).isEqualTo(folder.toAbsolutePath().normalize());
  }

  @Test
  void aStoreIdResolvesToItsFolderInTheStore() throws Exception {
    ModelStore.open(this.store)
        .register(
            ModelId.parse("Qwen/Qwen3-0.6B"),
            Revisions.DEFAULT_LOCAL,
            hfFolder(this.elsewhere.resolve("hf")),
            new FlashModelConverter(),
            RegisterOptions.local(),
            Progress.NONE);

    ResolvedModel resolved = source().resolve("Qwen/Qwen3-0.6B", PullPolicy.NEVER);

    assertThat(resolved.id()).isEqualTo("Qwen/Qwen3-0.6B");
    assertThat(resolved.folder()).startsWith(this.store.toRealPath());
    assertThat(resolved.folder().resolve("config.json")).exists();
    assertThat(this.pulled).isEmpty();
  }

  @Test
  void aMissingStoreIdIsPulledWhenAllowed() {
    ResolvedModel resolved = source().resolve("Qwen/Qwen3-8B", PullPolicy.WHEN_MISSING);

    assertThat(this.pulled).containsExactly(ModelId.parse("Qwen/Qwen3-8B"));
    assertThat(resolved.id()).isEqualTo("Qwen/Qwen3-8B");
    assertThat(resolved.folder().resolve("config.json")).exists();
    // The next start finds it in the store.
    source().resolve("Qwen/Qwen3-8B", PullPolicy.WHEN_MISSING);
    assertThat(this.pulled).hasSize(1);
  }

  @Test
  void aMissingStoreIdSaysWhereItLookedAndWhatToDo() {
    assertThatThrownBy(() -> source().resolve("Qwen/Qwen3-8B", PullPolicy.NEVER))
        .isInstanceOf(ModelNotFoundException.class)
        .hasMessageContaining("Qwen/Qwen3-8B is not in the store at " + this.store)
        .hasMessageContaining("pull-on-startup=when-missing");
    assertThat(this.pulled).isEmpty();
  }

  @Test
  void aMissingFolderIsNamed() {
    Path missing = this.elsewhere.resolve("nope");

    assertThatThrownBy(() -> source().resolve(missing.toString(), PullPolicy.NEVER))
        .isInstanceOf(ModelNotFoundException.class)
        .hasMessage("model folder " + missing + " does not exist");
  }

  @Test
  void aFolderWithoutConfigIsRefused() throws Exception {
    Path folder = Files.createDirectories(this.elsewhere.resolve("weights-only"));

    assertThatThrownBy(() -> source().resolve(folder.toString(), PullPolicy.NEVER))
        .isInstanceOf(ModelNotFoundException.class)
        .hasMessageContaining("has no config.json");
  }

  @Test
  void storeIdsCannotEscapeTheStore() {
    assertThatThrownBy(() -> source().resolve("Qwen/../../etc", PullPolicy.NEVER))
        .isInstanceOf(ModelNotFoundException.class)
        .hasMessageContaining("does not exist");
  }

  @Test
  void anEmptyModelIsExplained() {
    assertThatThrownBy(() -> source().resolve(" ", PullPolicy.NEVER))
        .isInstanceOf(ModelNotFoundException.class)
        .hasMessageContaining("set flashtensors.chat.model");
  }
}
