package io.flashtensors.llm.qwen3.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The shipped fatbin must be built from the CUDA sources in the tree: the build records the
 * sources' hash beside the fatbin (src/main/cuda/build-fatbin.sh), and a change to the sources
 * without a rebuild (on a machine with nvcc) fails here instead of shipping stale kernels.
 */
class KernelFatbinTest {

  private static final Path SOURCES = Path.of("src/main/cuda");

  @Test
  void fatbinIsBuiltFromTheCurrentSources() throws Exception {
    String recorded;
    try (InputStream in =
        KernelFatbinTest.class.getResourceAsStream(Qwen3Kernels.FATBIN + ".sha256")) {
      assertThat(in).as("recorded hash of the fatbin's sources").isNotNull();
      recorded = new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip();
    }
    assertThat(sourcesHash())
        .as(
            "SHA-256 of src/main/cuda; the fatbin was built from other sources: run"
                + " src/main/cuda/build-fatbin.sh (needs nvcc) and commit the fatbin")
        .isEqualTo(recorded);
  }

  @Test
  void fatbinIsAFatbinWithEveryKernelTheEngineLaunches() throws IOException {
    byte[] image;
    try (InputStream in = KernelFatbinTest.class.getResourceAsStream(Qwen3Kernels.FATBIN)) {
      assertThat(in).isNotNull();
      image = in.readAllBytes();
    }
    int magic =
        (image[0] & 0xff)
            | (image[1] & 0xff) << 8
            | (image[2] & 0xff) << 16
            | (image[3] & 0xff) << 24;
    assertThat(magic).isEqualTo(0xBA55ED50);
    String text = new String(image, StandardCharsets.ISO_8859_1);
    for (String kernel :
        List.of(
            "ft_gemv_store_norm_k1",
            "ft_gemv_add_k8",
            "ft_gemv_swiglu_norm_k4",
            "ft_argmax_partial",
            "ft_decode_attention_kvbf16_g4",
            "ft_decode_attention_kvf32_g8",
            "ft_attention_split_kvf32_d32",
            "ft_attention_combine",
            "ft_qk_norm_rope_qbf16_kvbf16",
            "ft_gemm_swiglu",
            "ft_prefill_attention_d128",
            "ft_rmsnorm_rows",
            "ft_rope_table",
            "ft_embed",
            "ft_argmax_commit",
            "ft_sample_prepare",
            "ft_sample_draw")) {
      assertThat(text).as("kernel " + kernel).contains(kernel);
    }
  }

  /** As build-fatbin.sh: every file of the folder in name order, as name, NUL, bytes, NUL. */
  static String sourcesHash() throws IOException, NoSuchAlgorithmException {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    List<Path> files;
    try (Stream<Path> list = Files.list(SOURCES)) {
      files = list.filter(Files::isRegularFile).sorted().toList();
    }
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (Path f : files) {
      all.write(f.getFileName().toString().getBytes(StandardCharsets.UTF_8));
      all.write(0);
      all.write(Files.readAllBytes(f));
      all.write(0);
    }
    return HexFormat.of().formatHex(sha.digest(all.toByteArray()));
  }
}
