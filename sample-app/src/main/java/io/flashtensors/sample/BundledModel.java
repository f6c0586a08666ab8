package io.flashtensors.sample;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.config.ConfigDataEnvironmentPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.io.ClassPathResource;
import org.springframework.util.FileSystemUtils;

/**
 * Serves the tiny model bundled with the sample when no model is configured, so the app starts
 * without network: copies it from the class path to a folder under the temporary directory and
 * points {@code flashtensors.chat.model} at it. Sets {@code sample.bundled-model} to tell the page.
 */
final class BundledModel implements EnvironmentPostProcessor, Ordered {

  static final String MODEL_PROPERTY = "flashtensors.chat.model";
  static final String BUNDLED_PROPERTY = "sample.bundled-model";
  static final String MODEL_NAME = "qwen3-tiny-random";
  private static final String RESOURCE_FOLDER = "sample-model/";
  private static final String FILE_LIST = RESOURCE_FOLDER + "files.txt";

  @Override
  public int getOrder() {
    return ConfigDataEnvironmentPostProcessor.ORDER + 1;
  }

  @Override
  public void postProcessEnvironment(
      ConfigurableEnvironment environment, SpringApplication application) {
    String configured = environment.getProperty(MODEL_PROPERTY);
    boolean bundled = false;
    String model = configured;
    if ((configured == null || configured.isBlank()) && isBundled()) {
      model = extract().toString();
      bundled = true;
    }
    Map<String, Object> properties = new HashMap<>();
    properties.put(BUNDLED_PROPERTY, bundled);
    if (bundled) {
      properties.put(MODEL_PROPERTY, model);
    }
    environment
        .getPropertySources()
        .addLast(new MapPropertySource("sampleBundledModel", properties));
  }

  static boolean isBundled() {
    return new ClassPathResource(FILE_LIST).exists();
  }

  /**
   * Copies the bundled files once per content (into {@code
   * <tmp>/flashtensors-sample-<digest>/qwen3-tiny-random}); later starts reuse the folder.
   */
  static Path extract() {
    try {
      List<String> files = readFileList();
      String digest = digest(files);
      Path root = Path.of(System.getProperty("java.io.tmpdir"), "flashtensors-sample-" + digest);
      Path model = root.resolve(MODEL_NAME);
      if (Files.isRegularFile(root.resolve(".complete"))) {
        return model;
      }
      Path staging = Files.createTempDirectory(root.getParent(), "flashtensors-sample-");
      Path stagedModel = Files.createDirectories(staging.resolve(MODEL_NAME));
      for (String file : files) {
        try (InputStream in = new ClassPathResource(RESOURCE_FOLDER + file).getInputStream()) {
          Files.copy(in, stagedModel.resolve(file), StandardCopyOption.REPLACE_EXISTING);
        }
      }
      Files.writeString(staging.resolve(".complete"), digest);
      try {
        Files.move(staging, root, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException raced) {
        // Another start unpacked the same content first.
        if (!Files.isRegularFile(root.resolve(".complete"))) {
          throw raced;
        }
        FileSystemUtils.deleteRecursively(staging);
      }
      return model;
    } catch (IOException ex) {
      throw new UncheckedIOException("could not unpack the bundled sample model", ex);
    }
  }

  private static List<String> readFileList() throws IOException {
    try (InputStream in = new ClassPathResource(FILE_LIST).getInputStream()) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8)
          .lines()
          .map(String::strip)
          .filter(line -> !line.isEmpty() && !line.startsWith("#"))
          .toList();
    }
  }

  private static String digest(List<String> files) throws IOException {
    try {
      var sha = java.security.MessageDigest.getInstance("SHA-256");
      for (String file : files) {
        sha.update(file.getBytes(StandardCharsets.UTF_8));
        try (InputStream in = new ClassPathResource(RESOURCE_FOLDER + file).getInputStream()) {
          sha.update(in.readAllBytes());
        }
      }
      return HexFormat.of().formatHex(sha.digest(), 0, 8);
    } catch (java.security.NoSuchAlgorithmException ex) {
      throw new IllegalStateException(ex);
    }
  }
}
