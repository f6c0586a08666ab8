package io.flashtensors.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.abort;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Says in the build's output whether GPU tests can run here. Surefire keeps test output in files,
 * so the line goes straight to the process's standard error, which the console shows.
 */
class GpuTestNoticeTest {

  @Test
  void saysWhetherGpuTestsCanRun() {
    CudaAvailability a = Cuda.availability();
    if (!a.available()) {
      String notice = "GPU tests (@Tag(\"gpu\")) skipped: no CUDA device: " + a.reason();
      console().println(notice);
      abort(notice);
    }
    assertThat(Cuda.device(0).totalMemory()).isPositive();
    console()
        .printf(
            "CUDA available: %d device(s), driver %s; GPU tests run with -Dgroups=gpu%n",
            a.deviceCount(), a.driverVersionString());
  }

  private static PrintStream console() {
    return new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
  }
}
