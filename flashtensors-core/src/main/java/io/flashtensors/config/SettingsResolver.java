package io.flashtensors.config;

import io.flashtensors.util.ByteSize;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Resolves {@link Settings} from, highest precedence first: command-line flags, {@code
 * FLASHTENSORS_*} environment variables (and {@code HF_ENDPOINT}/{@code HF_TOKEN}), the config file
 * {@code <home>/config}, and defaults. The home folder is {@code FLASHTENSORS_HOME} when set, else
 * {@code ~/.flashtensors}.
 *
 * <p>The config file holds one {@code key = value} per line with the flag names as keys ({@code
 * mem-pool-size = 30GB}); {@code #} starts a comment. An unknown key or a bad value is an error
 * that names the file, the line and the problem, so a typo never goes unnoticed.
 */
public final class SettingsResolver {

  /** Environment variable that moves the flashtensors home folder (tests, several installs). */
  public static final String HOME_VARIABLE = "FLASHTENSORS_HOME";

  /** Default port of the daemon, as in the seed. */
  public static final int DEFAULT_PORT = 8073;

  private final Map<String, String> environment;
  private final Path userHome;

  /**
   * @param environment the process environment (tests pass their own)
   * @param userHome the user's home folder, under which {@code .flashtensors} lives by default
   */
  public SettingsResolver(Map<String, String> environment, Path userHome) {
    this.environment = Map.copyOf(environment);
    this.userHome = userHome;
  }

  /** A resolver over this process's environment and user home. */
  public static SettingsResolver system() {
    return new SettingsResolver(System.getenv(), Path.of(System.getProperty("user.home")));
  }

  /** The flashtensors home folder: {@code FLASHTENSORS_HOME} or {@code ~/.flashtensors}. */
  public Path home() {
    String configured = environment.get(HOME_VARIABLE);
    if (configured != null && !configured.isBlank()) {
      return expand(configured, Path.of("")).toAbsolutePath().normalize();
    }
    return userHome.resolve(".flashtensors").toAbsolutePath().normalize();
  }

  /** Resolves the settings with no flags given. */
  public Settings resolve() {
    return resolve(Map.of());
  }

  /**
   * Resolves the settings.
   *
   * @param flags values given on the command line or through the SDK, as the user wrote them (e.g.
   *     {@code "30GB"}); they win over everything else
   * @throws IllegalArgumentException naming the source and the problem when a value is invalid
   */
  public Settings resolve(Map<Setting, String> flags) {
    Path home = home();
    Path configFile = home.resolve("config");
    Map<Setting, String> fileValues = readConfigFile(configFile);

    Map<Setting, String> raw = new EnumMap<>(Setting.class);
    Map<Setting, String> origins = new EnumMap<>(Setting.class);
    for (Setting setting : Setting.values()) {
      String flag = flags.get(setting);
      String env = environment.get(setting.environmentVariable());
      if (flag != null) {
        raw.put(setting, flag);
        origins.put(setting, "flag --" + setting.key());
      } else if (env != null && !env.isBlank()) {
        raw.put(setting, env);
        origins.put(setting, "environment " + setting.environmentVariable());
      } else if (fileValues.containsKey(setting)) {
        raw.put(setting, fileValues.get(setting));
        origins.put(setting, "config file " + configFile);
      } else {
        origins.put(setting, "default");
      }
    }

    Parser p = new Parser(raw, origins, home);
    return new Settings(
        home,
        p.path(Setting.STORAGE_PATH, home.resolve("models")),
        p.host(),
        p.integer(Setting.PORT, DEFAULT_PORT, 1, 65535),
        p.size(Setting.MEM_POOL_SIZE, 30L << 30, 0),
        p.chunkSize(),
        p.integer(Setting.THREADS, defaultThreads(), 1, 1024),
        p.fraction(Setting.GPU_MEMORY_UTILIZATION, 0.8),
        p.secret(Setting.TOKEN),
        p.endpoint(),
        p.secret(Setting.HF_TOKEN),
        origins);
  }

  /** Reader threads by default: one a core, between 2 and 16 (the seed's SDK uses 16). */
  static int defaultThreads() {
    return Math.clamp(Runtime.getRuntime().availableProcessors(), 2, 16);
  }

  private static Map<Setting, String> readConfigFile(Path file) {
    Map<Setting, String> values = new EnumMap<>(Setting.class);
    if (!Files.isRegularFile(file)) {
      return values;
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read config file " + file + ": " + e.getMessage(), e);
    }
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int eq = line.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            file + " line " + (i + 1) + ": expected 'key = value', found '" + line + "'");
      }
      String key = line.substring(0, eq).strip();
      String value = unquote(line.substring(eq + 1).strip());
      Setting setting = Setting.byKey(key);
      if (setting == null) {
        throw new IllegalArgumentException(
            file + " line " + (i + 1) + ": unknown key '" + key + "' (known: " + knownKeys() + ")");
      }
      if (values.containsKey(setting)) {
        throw new IllegalArgumentException(
            file + " line " + (i + 1) + ": '" + key + "' is set twice");
      }
      values.put(setting, value);
    }
    return values;
  }

  private static String unquote(String value) {
    if (value.length() >= 2
        && ((value.startsWith("\"") && value.endsWith("\""))
            || (value.startsWith("'") && value.endsWith("'")))) {
      return value.substring(1, value.length() - 1);
    }
    return value;
  }

  private static String knownKeys() {
    StringBuilder sb = new StringBuilder();
    for (Setting s : Setting.values()) {
      sb.append(sb.isEmpty() ? "" : ", ").append(s.key());
    }
    return sb.toString();
  }

  private Path expand(String text, Path relativeTo) {
    String t = text.strip();
    if (t.equals("~")) {
      return userHome;
    }
    if (t.startsWith("~/")) {
      return userHome.resolve(t.substring(2));
    }
    Path p = Path.of(t);
    return p.isAbsolute() ? p : relativeTo.resolve(p);
  }

  /** Turns raw strings into typed values, naming the source of a bad one. */
  private final class Parser {
    private final Map<Setting, String> raw;
    private final Map<Setting, String> origins;
    private final Path home;

    Parser(Map<Setting, String> raw, Map<Setting, String> origins, Path home) {
      this.raw = raw;
      this.origins = origins;
      this.home = home;
    }

    private IllegalArgumentException bad(Setting s, String problem) {
      return new IllegalArgumentException(s.key() + " from " + origins.get(s) + ": " + problem);
    }

    Path path(Setting s, Path fallback) {
      String v = raw.get(s);
      if (v == null) {
        return fallback;
      }
      if (v.isBlank()) {
        throw bad(s, "empty path");
      }
      // A relative path in the config file is relative to the home folder; elsewhere to the
      // working directory.
      Path base = origins.get(s).startsWith("config file") ? home : Path.of("");
      return expand(v, base).toAbsolutePath().normalize();
    }

    String host() {
      String v = raw.get(Setting.HOST);
      if (v == null) {
        return "127.0.0.1";
      }
      if (v.isBlank() || v.chars().anyMatch(Character::isWhitespace)) {
        throw bad(Setting.HOST, "'" + v + "' is not a host name or address");
      }
      return v.strip();
    }

    int integer(Setting s, int fallback, int min, int max) {
      String v = raw.get(s);
      if (v == null) {
        return fallback;
      }
      try {
        int n = Integer.parseInt(v.strip());
        if (n < min || n > max) {
          throw bad(s, v + " is out of range " + min + ".." + max);
        }
        return n;
      } catch (NumberFormatException e) {
        throw bad(s, "'" + v + "' is not a whole number");
      }
    }

    long size(Setting s, long fallback, long min) {
      String v = raw.get(s);
      if (v == null) {
        return fallback;
      }
      long n;
      try {
        n = ByteSize.parse(v);
      } catch (IllegalArgumentException e) {
        throw bad(s, e.getMessage());
      }
      if (n < min) {
        throw bad(s, v + " is smaller than " + ByteSize.format(min));
      }
      return n;
    }

    long chunkSize() {
      long n = size(Setting.CHUNK_SIZE, 32L << 20, 4096);
      if (n % 4096 != 0) {
        throw bad(
            Setting.CHUNK_SIZE,
            raw.get(Setting.CHUNK_SIZE) + " is not a multiple of 4 KiB (direct I/O needs that)");
      }
      if (n > (1L << 30)) {
        throw bad(Setting.CHUNK_SIZE, raw.get(Setting.CHUNK_SIZE) + " is larger than 1 GiB");
      }
      return n;
    }

    double fraction(Setting s, double fallback) {
      String v = raw.get(s);
      if (v == null) {
        return fallback;
      }
      try {
        double d = Double.parseDouble(v.strip());
        if (!(d > 0 && d <= 1)) {
          throw bad(s, v + " is not in (0, 1]");
        }
        return d;
      } catch (NumberFormatException e) {
        throw bad(s, "'" + v + "' is not a number");
      }
    }

    Optional<String> secret(Setting s) {
      String v = raw.get(s);
      return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.strip());
    }

    String endpoint() {
      String v = raw.get(Setting.HF_ENDPOINT);
      if (v == null) {
        return "https://huggingface.co";
      }
      String t = v.strip();
      while (t.endsWith("/")) {
        t = t.substring(0, t.length() - 1);
      }
      try {
        URI uri = URI.create(t);
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
            || uri.getHost() == null) {
          throw bad(Setting.HF_ENDPOINT, "'" + v + "' is not an http(s) URL");
        }
      } catch (IllegalArgumentException e) {
        if (e.getMessage().startsWith(Setting.HF_ENDPOINT.key())) {
          throw e;
        }
        throw bad(Setting.HF_ENDPOINT, "'" + v + "' is not an http(s) URL");
      }
      return t;
    }
  }
}
