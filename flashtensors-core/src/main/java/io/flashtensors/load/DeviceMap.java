package io.flashtensors.load;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Which device each tensor goes to, in the style of Hugging Face Accelerate device maps: keys are
 * name prefixes at dot boundaries ({@code "model.layers.1"} matches {@code
 * model.layers.1.mlp.up_proj.weight} but not {@code model.layers.10...}); the empty key matches
 * every tensor; the longest matching key wins.
 *
 * <pre>{@code
 * DeviceMap.cpu()                                     // {"": "cpu"}
 * DeviceMap.parse("{\"\": 0}")                        // everything on GPU 0
 * DeviceMap.parse("{\"model.embed_tokens\": \"cpu\", \"\": \"cuda:0\"}")
 * }</pre>
 */
public final class DeviceMap {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final Map<String, Device> entries;

  private DeviceMap(Map<String, Device> entries) {
    if (entries.isEmpty()) {
      throw new IllegalArgumentException("a device map needs at least one entry");
    }
    this.entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
  }

  /** Every tensor in host memory: {@code {"": "cpu"}}. */
  public static DeviceMap cpu() {
    return all(Device.CPU);
  }

  /** Every tensor on {@code device}. */
  public static DeviceMap all(Device device) {
    return new DeviceMap(Map.of("", device));
  }

  /** A map from name prefixes to devices. */
  public static DeviceMap of(Map<String, Device> entries) {
    return new DeviceMap(entries);
  }

  /**
   * Parses a device map: a JSON object such as {@code {"": "cpu"}} or {@code {"model.layers.0":
   * 0}}, or a single device ({@code cpu}, {@code cuda:0}, {@code 0}) for the whole model.
   */
  public static DeviceMap parse(String text) {
    String s = text.strip();
    if (!s.startsWith("{")) {
      return all(Device.parse(s));
    }
    JsonNode root;
    try {
      root = JSON.readTree(s);
    } catch (JacksonException e) {
      throw new IllegalArgumentException("device map is not JSON: " + s, e);
    }
    Map<String, Device> entries = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : root.properties()) {
      JsonNode v = e.getValue();
      if (!v.isString() && !v.isIntegralNumber()) {
        throw new IllegalArgumentException(
            "device map entry '%s' is %s, not a device".formatted(e.getKey(), v));
      }
      entries.put(e.getKey(), Device.parse(v.isString() ? v.stringValue() : v.asString()));
    }
    return new DeviceMap(entries);
  }

  /** The entries, in the order given. */
  public Map<String, Device> entries() {
    return entries;
  }

  /** The distinct devices of the map. */
  public Set<Device> devices() {
    return new LinkedHashSet<>(entries.values());
  }

  /**
   * The device of tensor {@code name}.
   *
   * @throws IllegalArgumentException when no key matches the name
   */
  public Device deviceFor(String name) {
    String best = null;
    for (String key : entries.keySet()) {
      boolean matches =
          key.isEmpty()
              || name.equals(key)
              || (name.startsWith(key) && name.charAt(key.length()) == '.')
              || (key.endsWith(".") && name.startsWith(key));
      if (matches && (best == null || key.length() > best.length())) {
        best = key;
      }
    }
    if (best == null) {
      throw new IllegalArgumentException(
          "device map %s has no entry for tensor '%s'".formatted(this, name));
    }
    return entries.get(best);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DeviceMap m && entries.equals(m.entries);
  }

  @Override
  public int hashCode() {
    return entries.hashCode();
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("{");
    entries.forEach(
        (k, v) ->
            s.append(s.length() > 1 ? ", " : "")
                .append('"')
                .append(k)
                .append("\": \"")
                .append(v)
                .append('"'));
    return s.append('}').toString();
  }
}
