package io.flashtensors.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flashtensors.util.ByteSize;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SettingsResolverTest {

  @TempDir Path userHome;

  /** A value for one setting from each source, and how to read it back. */
  record Case(
      Setting setting, String flag, String env, String file, Function<Settings, Object> read) {}

  static List<Case> cases() {
    return List.of(
        new Case(Setting.PORT, "9001", "9002", "9003", Settings::port),
        new Case(Setting.HOST, "10.0.0.1", "10.0.0.2", "10.0.0.3", Settings::host),
        new Case(Setting.MEM_POOL_SIZE, "1GB", "2GB", "3GB", Settings::memPoolSize),
        new Case(Setting.CHUNK_SIZE, "8MB", "16MB", "64MB", Settings::chunkSize),
        new Case(Setting.THREADS, "3", "5", "7", Settings::threads),
        new Case(
            Setting.GPU_MEMORY_UTILIZATION, "0.5", "0.6", "0.7", Settings::gpuMemoryUtilization),
        new Case(Setting.TOKEN, "f", "e", "c", s -> s.token().orElse(null)),
        new Case(
            Setting.HF_ENDPOINT,
            "http://flag:1",
            "http://env:2",
            "http://file:3",
            Settings::hfEndpoint),
        new Case(Setting.HF_TOKEN, "hf_f", "hf_e", "hf_c", s -> s.hfToken().orElse(null)),
        new Case(
            Setting.STORAGE_PATH, "/f/models", "/e/models", "/c/models", s -> s.storagePath()));
  }

  /** Every setting crossed with every subset of sources: the highest present source wins. */
  static Stream<Arguments> precedenceMatrix() {
    List<Arguments> args = new ArrayList<>();
    for (Case c : cases()) {
      for (int mask = 0; mask < 8; mask++) {
        args.add(Arguments.of(c.setting(), (mask & 4) != 0, (mask & 2) != 0, (mask & 1) != 0));
      }
    }
    return args.stream();
  }

  @ParameterizedTest(name = "{0}: flag={1} env={2} file={3}")
  @MethodSource("precedenceMatrix")
  void resolveWhenSourcesOverlapShouldTakeFlagThenEnvironmentThenFileThenDefault(
      Setting setting, boolean flag, boolean env, boolean file) throws IOException {
    Case c = cases().stream().filter(k -> k.setting() == setting).findFirst().orElseThrow();
    Settings defaults = new SettingsResolver(Map.of(), userHome).resolve();
    Map<String, String> environment = new HashMap<>();
    Map<Setting, String> flags = new EnumMap<>(Setting.class);
    if (flag) {
      flags.put(setting, c.flag());
    }
    if (env) {
      environment.put(setting.environmentVariable(), c.env());
    }
    if (file) {
      Path home = userHome.resolve(".flashtensors");
      Files.createDirectories(home);
      Files.writeString(
          home.resolve("config"), "# test\n" + setting.key() + " = " + c.file() + "\n");
    }

    Settings settings = new SettingsResolver(environment, userHome).resolve(flags);

    Object expected;
    String origin;
    if (flag) {
      expected = parsed(c, c.flag());
      origin = "flag --" + setting.key();
    } else if (env) {
      expected = parsed(c, c.env());
      origin = "environment " + setting.environmentVariable();
    } else if (file) {
      expected = parsed(c, c.file());
      origin = "config file " + userHome.resolve(".flashtensors").resolve("config");
    } else {
      expected = c.read().apply(defaults);
      origin = "default";
    }
    assertThat(c.read().apply(settings)).isEqualTo(expected);
    assertThat(settings.origin(setting)).isEqualTo(origin);
  }

  private static Object parsed(Case c, String raw) {
    return switch (c.setting()) {
      case PORT, THREADS -> Integer.parseInt(raw);
      case MEM_POOL_SIZE, CHUNK_SIZE -> ByteSize.parse(raw);
      case GPU_MEMORY_UTILIZATION -> Double.parseDouble(raw);
      case STORAGE_PATH -> Path.of(raw);
      default -> raw;
    };
  }

  @Test
  void resolveWhenNothingSetShouldUseDefaults() {
    Settings s = new SettingsResolver(Map.of(), userHome).resolve();
    assertThat(s.home()).isEqualTo(userHome.resolve(".flashtensors"));
    assertThat(s.storagePath()).isEqualTo(userHome.resolve(".flashtensors/models"));
    assertThat(s.host()).isEqualTo("127.0.0.1");
    assertThat(s.port()).isEqualTo(8073);
    assertThat(s.memPoolSize()).isEqualTo(30L << 30);
    assertThat(s.chunkSize()).isEqualTo(32L << 20);
    assertThat(s.threads()).isBetween(2, 16);
    assertThat(s.token()).isEmpty();
    assertThat(s.hfEndpoint()).isEqualTo("https://huggingface.co");
    assertThat(s.loopback()).isTrue();
  }

  @Test
  void homeWhenFlashtensorsHomeSetShouldMoveHomeConfigAndDefaultStore() throws IOException {
    Path home = userHome.resolve("elsewhere");
    Files.createDirectories(home);
    Files.writeString(home.resolve("config"), "port = 7000\nstorage-path = store\n");

    Settings s =
        new SettingsResolver(Map.of("FLASHTENSORS_HOME", home.toString()), userHome).resolve();

    assertThat(s.home()).isEqualTo(home);
    assertThat(s.port()).isEqualTo(7000);
    assertThat(s.storagePath()).as("relative to the home folder").isEqualTo(home.resolve("store"));
  }

  @Test
  void resolveWhenPathStartsWithTildeShouldExpandUserHome() {
    Settings s =
        new SettingsResolver(Map.of(), userHome)
            .resolve(Map.of(Setting.STORAGE_PATH, "~/my/models"));
    assertThat(s.storagePath()).isEqualTo(userHome.resolve("my/models"));
  }

  @Test
  void resolveWhenConfigFileHasUnknownKeyShouldNameFileLineAndKey() throws IOException {
    Path home = userHome.resolve(".flashtensors");
    Files.createDirectories(home);
    Files.writeString(home.resolve("config"), "port = 1\n\nmem-pool = 3GB\n");

    assertThatThrownBy(() -> new SettingsResolver(Map.of(), userHome).resolve())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(home.resolve("config") + " line 3")
        .hasMessageContaining("unknown key 'mem-pool'");
  }

  @Test
  void resolveWhenConfigFileLineHasNoEqualsShouldFail() throws IOException {
    Path home = userHome.resolve(".flashtensors");
    Files.createDirectories(home);
    Files.writeString(home.resolve("config"), "port 1\n");

    assertThatThrownBy(() -> new SettingsResolver(Map.of(), userHome).resolve())
        .hasMessageContaining("line 1: expected 'key = value'");
  }

  @Test
  void resolveWhenValueIsBadShouldNameSettingAndSource() {
    SettingsResolver r = new SettingsResolver(Map.of("FLASHTENSORS_PORT", "eighty"), userHome);
    assertThatThrownBy(r::resolve)
        .hasMessage("port from environment FLASHTENSORS_PORT: 'eighty' is not a whole number");

    SettingsResolver r2 = new SettingsResolver(Map.of(), userHome);
    assertThatThrownBy(() -> r2.resolve(Map.of(Setting.PORT, "70000")))
        .hasMessageContaining("port from flag --port: 70000 is out of range");
    assertThatThrownBy(() -> r2.resolve(Map.of(Setting.CHUNK_SIZE, "5000")))
        .hasMessageContaining("not a multiple of 4 KiB");
    assertThatThrownBy(() -> r2.resolve(Map.of(Setting.MEM_POOL_SIZE, "lots")))
        .hasMessageContaining("mem-pool-size from flag --mem-pool-size: 'lots' is not a size");
    assertThatThrownBy(() -> r2.resolve(Map.of(Setting.GPU_MEMORY_UTILIZATION, "1.5")))
        .hasMessageContaining("not in (0, 1]");
    assertThatThrownBy(() -> r2.resolve(Map.of(Setting.HF_ENDPOINT, "ftp://x")))
        .hasMessageContaining("is not an http(s) URL");
  }

  @Test
  void resolveWhenEndpointHasTrailingSlashShouldDropIt() {
    Settings s =
        new SettingsResolver(Map.of("HF_ENDPOINT", "http://127.0.0.1:9999/"), userHome).resolve();
    assertThat(s.hfEndpoint()).isEqualTo("http://127.0.0.1:9999");
  }

  @Test
  void loopbackShouldRecogniseLocalAddressesOnly() {
    assertThat(Settings.isLoopback("127.0.0.1")).isTrue();
    assertThat(Settings.isLoopback("localhost")).isTrue();
    assertThat(Settings.isLoopback("::1")).isTrue();
    assertThat(Settings.isLoopback("0.0.0.0")).isFalse();
    assertThat(Settings.isLoopback("192.168.1.4")).isFalse();
  }
}
