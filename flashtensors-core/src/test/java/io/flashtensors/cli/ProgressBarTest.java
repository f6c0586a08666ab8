package io.flashtensors.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ProgressBarTest {

  @Test
  void offATerminalShouldWriteALineEveryTenthAndOneAtTheEnd() {
    StringWriter s = new StringWriter();
    ProgressBar bar = new ProgressBar(new PrintWriter(s), false);
    for (long done = 0; done <= 1000; done += 7) {
      bar.update("download", done, 1000);
    }
    bar.update("download", 1000, 1000);
    bar.update("convert", 50, 100);
    bar.update("convert", 100, 100);
    bar.finish();

    var lines = s.toString().lines().toList();
    assertThat(lines.stream().filter(l -> l.startsWith("download"))).hasSize(11);
    assertThat(lines.get(10)).contains("100%").contains("1000 B / 1000 B").endsWith(" s");
    assertThat(lines.stream().filter(l -> l.startsWith("convert"))).hasSize(2);
    assertThat(s.toString()).doesNotContain("\r");
  }

  @Test
  void onATerminalShouldRedrawOneLineInPlace() {
    StringWriter s = new StringWriter();
    ProgressBar bar = new ProgressBar(new PrintWriter(s), true);
    bar.update("load", 0, 4096);
    bar.update("load", 4096, 4096);
    assertThat(s.toString())
        .startsWith("\rload      [")
        .contains("####")
        .contains("100%")
        .endsWith("\n");
    assertThat(s.toString().chars().filter(c -> c == '\n').count()).isEqualTo(1);
  }
}
