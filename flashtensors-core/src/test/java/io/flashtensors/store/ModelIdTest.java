package io.flashtensors.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ModelIdTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "Qwen/Qwen3-0.6B",
        "meta-llama/Llama-3.1-8B-Instruct",
        "a/b",
        "org_1/model.v2",
        "A1/x_y.z-w"
      })
  void parseWhenValidShouldKeepOrgAndName(String text) {
    ModelId id = ModelId.parse(text);
    assertThat(id.toString()).isEqualTo(text);
    assertThat(ModelId.isValid(text)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        " ",
        "Qwen3",
        "/abs/path",
        "a/b/c",
        "../b",
        "a/..",
        "a/.",
        "./b",
        "a/../b",
        "a/.hidden",
        "a/b-",
        "-a/b",
        "a--b/c",
        "a/b..c",
        "a b/c",
        "a/b\\c",
        "a/",
        "/b",
        "a/b\u0000",
        "é/b"
      })
  void parseWhenInvalidShouldFailSayingWhy(String text) {
    assertThatThrownBy(() -> ModelId.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("model id");
    assertThat(ModelId.isValid(text)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"main", "v1.0", "refs/pr/1", "0123456789abcdef0123456789abcdef01234567"})
  void revisionWhenValidShouldMapToOneFolderName(String revision) {
    assertThat(Revisions.folderName(revision)).doesNotContain("/").isNotEqualTo("..");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "..", "a/../b", "/main", "main/", "a//b", "a--b", "x.lock", "a b"})
  void revisionWhenInvalidShouldFail(String revision) {
    assertThatThrownBy(() -> Revisions.check(revision)).hasMessageContaining("is not a revision");
  }
}
