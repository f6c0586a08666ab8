package io.flashtensors.config;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The resolved configuration of flashtensors: what the daemon, the CLI and the SDK run with.
 *
 * @param home the flashtensors home folder ({@code ~/.flashtensors} or {@code FLASHTENSORS_HOME})
 *     holding the config file, the daemon's pid, lock and log files
 * @param storagePath folder of the model store
 * @param host address the daemon binds to and clients connect to
 * @param port port of the daemon
 * @param memPoolSize bytes of the daemon's pinned host pool
 * @param chunkSize bytes of one loader read chunk
 * @param threads loader reader threads
 * @param gpuMemoryUtilization fraction of GPU memory the loader may allocate, in (0, 1]
 * @param token the daemon's shared secret; empty when none is set
 * @param hfEndpoint base URL of the Hugging Face Hub, without a trailing slash
 * @param hfToken Hugging Face access token; empty when none is set
 * @param origins where each value came from ("flag", "environment FLASHTENSORS_PORT", "config file
 *     /home/u/.flashtensors/config", "default")
 */
public record Settings(
    Path home,
    Path storagePath,
    String host,
    int port,
    long memPoolSize,
    long chunkSize,
    int threads,
    double gpuMemoryUtilization,
    Optional<String> token,
    String hfEndpoint,
    Optional<String> hfToken,
    Map<Setting, String> origins) {

  public Settings {
    origins = Map.copyOf(origins);
  }

  /** The config file under {@link #home()}. */
  public Path configFile() {
    return home.resolve("config");
  }

  /** Where a value came from, for {@code status} and error messages. */
  public String origin(Setting setting) {
    return origins.getOrDefault(setting, "default");
  }

  /** Whether {@link #host()} is a loopback address (127.0.0.0/8, ::1 or localhost). */
  public boolean loopback() {
    return isLoopback(host);
  }

  /** Whether an address names this machine only. */
  public static boolean isLoopback(String host) {
    String h = host.trim();
    return h.equals("localhost") || h.startsWith("127.") || h.equals("::1") || h.equals("[::1]");
  }
}
