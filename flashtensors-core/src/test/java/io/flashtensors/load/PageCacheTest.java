package io.flashtensors.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PageCacheTest {

  @TempDir Path dir;

  @Test
  void aFileJustWrittenAndReadIsResident() throws Exception {
    byte[] content = new byte[4 << 20];
    new Random(7).nextBytes(content);
    Path file = Files.write(dir.resolve("f.bin"), content);
    assertThat(Files.readAllBytes(file)).isEqualTo(content);
    try (FileChannel channel = FileChannel.open(file)) {
      assertThat(PageCache.residentFraction(channel, channel.size())).isGreaterThanOrEqualTo(0.9);
    }
  }

  @Test
  void anEmptyFileCannotBeTold() throws Exception {
    Path file = Files.createFile(dir.resolve("empty"));
    try (FileChannel channel = FileChannel.open(file)) {
      assertThat(PageCache.residentFraction(channel, 0)).isEqualTo(-1);
    }
  }

  @Test
  void aFileSmallerThanAWindowIsOneWindow() throws Exception {
    Path file = Files.write(dir.resolve("small"), new byte[] {1, 2, 3});
    Files.readAllBytes(file);
    try (FileChannel channel = FileChannel.open(file)) {
      assertThat(PageCache.residentFraction(channel, 3)).isEqualTo(1.0);
    }
  }
}
