package io.flashtensors.spring.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalModelSourceTests {

  @TempDir Path store;

  @TempDir Path elsewhere;

  private LocalModelSource source() {
    return new LocalModelSource(this.store);
  }

  private static Path model(Path folder) throws Exception {
    Files.createDirectories(folder);
    Files.writeString(folder.resolve("config.json"), "{}");
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
  void aStoreIdResolvesUnderTheStoragePath() throws Exception {
    Path folder = model(this.store.resolve("Qwen").resolve("Qwen3-0.6B"));

    ResolvedModel resolved = source().resolve("Qwen/Qwen3-0.6B", PullPolicy.NEVER);

    assertThat(resolved.id()).isEqualTo("Qwen/Qwen3-0.6B");
    assertThat(resolved.folder()).isEqualTo(folder);
  }

  @Test
  void aMissingStoreIdSaysWhereItLookedAndWhatToDo() {
    assertThatThrownBy(() -> source().resolve("Qwen/Qwen3-8B", PullPolicy.NEVER))
        .isInstanceOf(ModelNotFoundException.class)
        .hasMessageContaining("Qwen/Qwen3-8B is not in the store at " + this.store)
        .hasMessageContaining("pull-on-startup=when-missing");
  }

  @Test
  void aMissingStoreIdWithPullingAllowedSaysItCannotDownloadHere() {
    assertThatThrownBy(() -> source().resolve("Qwen/Qwen3-8B", PullPolicy.WHEN_MISSING))
        .isInstanceOf(ModelNotFoundException.class)
        .hasMessageContaining("flashtensors pull Qwen/Qwen3-8B");
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
