package io.flashtensors.config;

import java.util.Locale;

/**
 * One configurable knob. Each has the same name as a command-line flag ({@code --mem-pool-size}), a
 * key in the config file ({@code mem-pool-size = 30GB}) and an environment variable ({@code
 * FLASHTENSORS_MEM_POOL_SIZE}); the Hugging Face settings also read the variables the Hugging Face
 * tools use ({@code HF_ENDPOINT}, {@code HF_TOKEN}).
 */
public enum Setting {
  /** Folder of the model store. */
  STORAGE_PATH("storage-path"),
  /** Address the daemon binds to and clients connect to. */
  HOST("host"),
  /** Port of the daemon. */
  PORT("port"),
  /** Size of the daemon's pinned host pool (the resident cache). */
  MEM_POOL_SIZE("mem-pool-size"),
  /** Size of one read chunk of the loader. */
  CHUNK_SIZE("chunk-size"),
  /** Reader threads of the loader. */
  THREADS("threads"),
  /** Fraction of a GPU's memory the loader may allocate. */
  GPU_MEMORY_UTILIZATION("gpu-memory-utilization"),
  /** Shared secret the daemon requires on every call; required when it binds beyond loopback. */
  TOKEN("token"),
  /** Base URL of the Hugging Face Hub. */
  HF_ENDPOINT("hf-endpoint", "HF_ENDPOINT"),
  /** Access token for private and gated Hugging Face repositories. */
  HF_TOKEN("hf-token", "HF_TOKEN");

  private final String key;
  private final String environmentVariable;

  Setting(String key) {
    this(key, "FLASHTENSORS_" + key.toUpperCase(Locale.ROOT).replace('-', '_'));
  }

  Setting(String key, String environmentVariable) {
    this.key = key;
    this.environmentVariable = environmentVariable;
  }

  /** The flag name without dashes and the config-file key, e.g. {@code mem-pool-size}. */
  public String key() {
    return key;
  }

  /** The environment variable, e.g. {@code FLASHTENSORS_MEM_POOL_SIZE}. */
  public String environmentVariable() {
    return environmentVariable;
  }

  /** Whether the value is a secret that is never printed. */
  public boolean secret() {
    return this == TOKEN || this == HF_TOKEN;
  }

  /** Finds a setting by its config-file key; null when there is none. */
  static Setting byKey(String key) {
    for (Setting s : values()) {
      if (s.key.equals(key)) {
        return s;
      }
    }
    return null;
  }
}
