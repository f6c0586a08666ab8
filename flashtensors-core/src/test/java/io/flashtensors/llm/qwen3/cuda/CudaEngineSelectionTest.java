package io.flashtensors.llm.qwen3.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.flashtensors.cuda.Cuda;
import io.flashtensors.cuda.CudaUnavailableException;
import io.flashtensors.llm.SamplingOptions;
import io.flashtensors.llm.generate.GenerationListener;
import io.flashtensors.llm.generate.GenerationResult;
import io.flashtensors.llm.qwen3.Fixtures;
import io.flashtensors.llm.qwen3.Qwen3ChatEngine;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** How {@link Qwen3ChatEngine#open} picks the device from the setting. */
class CudaEngineSelectionTest {

  private static final Path MODEL = Fixtures.root().resolve("qwen3-parity/gqa2-tied-theta1e6-v4");

  @Test
  void autoFallsBackToTheCpuWithANoticeWhenNoGpuCanBeUsed() throws Exception {
    assumeFalse(Cuda.isAvailable(), "this machine has a GPU");
    List<String> notices = new ArrayList<>();
    try (Qwen3ChatEngine engine = Qwen3ChatEngine.open(MODEL, "auto", 64, 1, notices::add)) {
      assertThat(engine.descriptor().device()).isEqualTo("cpu");
    }
    assertThat(notices)
        .singleElement()
        .asString()
        .startsWith("no usable GPU (")
        .endsWith("); running on the CPU");
  }

  @Test
  void cpuNeverTouchesCudaAndNamedGpusFailWithTheReason() throws Exception {
    List<String> notices = new ArrayList<>();
    try (Qwen3ChatEngine engine = Qwen3ChatEngine.open(MODEL, "CPU", 64, 1, notices::add)) {
      assertThat(engine.descriptor().device()).isEqualTo("cpu");
    }
    assertThat(notices).isEmpty();
    assertThatThrownBy(() -> Qwen3ChatEngine.open(MODEL, "tpu", 64, 1, notices::add))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a GPU: 'tpu'");
    if (!Cuda.isAvailable()) {
      assertThatThrownBy(() -> Qwen3ChatEngine.open(MODEL, "cuda", 64, 1, notices::add))
          .isInstanceOf(CudaUnavailableException.class)
          .hasMessageStartingWith("CUDA is not available: ");
    }
  }

  @Test
  @Tag("gpu")
  void autoPicksTheGpuAndGeneratesWhatTheCpuGenerates() throws Exception {
    assumeTrue(Cuda.isAvailable(), () -> "GPU tests skipped: " + Cuda.availability().reason());
    SamplingOptions greedy = SamplingOptions.greedy(24);
    int[] prompt = {5, 17, 230, 41, 9, 77};
    List<String> notices = new ArrayList<>();
    GenerationResult onCpu;
    try (Qwen3ChatEngine cpu = Qwen3ChatEngine.open(MODEL, "cpu", 64, 2, notices::add)) {
      onCpu = cpu.generate(prompt, greedy, GenerationListener.none());
    }
    try (Qwen3ChatEngine auto = Qwen3ChatEngine.open(MODEL, "auto", 64, 2, notices::add)) {
      assertThat(auto.descriptor().device()).isEqualTo("cuda:0");
      GenerationResult fast = auto.generate(prompt, greedy, GenerationListener.none());
      assertThat(fast.completionTokens()).isPositive().isLessThanOrEqualTo(24);
    }
    try (Qwen3ChatEngine exact = Qwen3ChatEngine.openCuda(MODEL, 0, 64, CudaPrecision.EXACT)) {
      GenerationResult onGpu = exact.generate(prompt, greedy, GenerationListener.none());
      assertThat(onGpu.outputIds()).isEqualTo(onCpu.outputIds());
      assertThat(onGpu.finishReason()).isEqualTo(onCpu.finishReason());
    }
    assertThat(notices).isEmpty();
  }
}
