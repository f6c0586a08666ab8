package io.flashtensors.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.flashtensors.config.Setting;
import io.flashtensors.config.Settings;
import io.flashtensors.config.SettingsResolver;
import io.flashtensors.cuda.Cuda;
import io.flashtensors.format.DType;
import io.flashtensors.format.Safetensors;
import io.flashtensors.format.TestTensors;
import io.flashtensors.memory.Tensor;
import io.flashtensors.store.FlashModelConverter;
import io.flashtensors.store.ModelId;
import io.flashtensors.store.ModelStore;
import io.flashtensors.store.Progress;
import io.flashtensors.store.RegisterOptions;
import io.flashtensors.store.StoredModel;
import java.io.File;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On a GPU: a second JVM loads a model through the daemon via CUDA IPC into its own GPU memory, and
 * every tensor read back from that GPU equals the source; a client that dies without confirming has
 * what it held released.
 */
@Tag("gpu")
class DaemonIpcGpuTest {

  @TempDir Path temp;
  DaemonServer server;
  int port;
  Map<String, String> expected = new LinkedHashMap<>();
  StoredModel model;

  @BeforeEach
  void setUp() throws Exception {
    assumeTrue(Cuda.isAvailable(), () -> "no GPU: " + Cuda.availability().reason());
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Settings settings =
        new SettingsResolver(Map.of("FLASHTENSORS_HOME", temp.resolve("home").toString()), temp)
            .resolve(Map.of(Setting.PORT, Integer.toString(port), Setting.MEM_POOL_SIZE, "1GB"));
    ModelStore store = ModelStore.open(settings.storagePath());
    Path source = temp.resolve("src");
    Files.createDirectories(source);
    try (Arena arena = Arena.ofConfined()) {
      Random random = new Random(99);
      Map<String, Tensor> tensors = new LinkedHashMap<>();
      DType[] dtypes = {DType.BF16, DType.F32, DType.F16, DType.I8, DType.BF16, DType.U8};
      for (int i = 0; i < dtypes.length; i++) {
        String name = "layer." + i + ".weight";
        Tensor t = TestTensors.random(arena, name, dtypes[i], new long[] {1031 + i, 1024}, random);
        tensors.put(name, t);
        expected.put(name, IpcClientMain.sha256(t.data()));
      }
      Safetensors.write(source.resolve("model.safetensors"), tensors, Map.of());
    }
    model =
        store.register(
            ModelId.parse("gpu/ipc"),
            "main",
            source,
            new FlashModelConverter(8L << 20),
            RegisterOptions.local(),
            Progress.NONE);
    assertThat(model.partitions()).as("several partitions").isGreaterThan(1);
    server = DaemonServer.start(settings);
  }

  @AfterEach
  void tearDown() {
    if (server != null) {
      server.close();
    }
  }

  private Process client(String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> !a.contains("jdwp"))
        .forEach(cmd::add);
    cmd.add("-cp");
    cmd.add(classPath());
    cmd.add(IpcClientMain.class.getName());
    cmd.addAll(Arrays.asList(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true).start();
  }

  /**
   * The test's class path (the JUnit console launcher loads tests with a class loader of its own).
   */
  private static String classPath() {
    if (DaemonIpcGpuTest.class.getClassLoader() instanceof URLClassLoader loader) {
      return Arrays.stream(loader.getURLs())
          .map(u -> Path.of(java.net.URI.create(u.toString())).toString())
          .collect(Collectors.joining(File.pathSeparator));
    }
    return System.getProperty("java.class.path");
  }

  @Test
  void secondJvmShouldLoadThroughTheDaemonByIpcAndReadBackTheSameBytes() throws Exception {
    Process p = client(Integer.toString(port), "gpu/ipc", "load", "2");
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output).isZero();

    List<String[]> tensorLines =
        output.lines().filter(l -> l.startsWith("tensor\t")).map(l -> l.split("\t")).toList();
    List<String[]> loadLines =
        output.lines().filter(l -> l.startsWith("load\t")).map(l -> l.split("\t")).toList();
    assertThat(loadLines).as(output).hasSize(2);
    assertThat(loadLines.get(0)[2]).as("first load reads the files").isEqualTo("false");
    assertThat(loadLines.get(1)[2]).as("second load is resident").isEqualTo("true");
    assertThat(Long.parseLong(loadLines.get(0)[4])).as("bytes copied").isEqualTo(sumPartitions());
    assertThat(tensorLines).hasSize(2 * expected.size());
    for (String[] t : tensorLines) {
      assertThat(t[2])
          .as("SHA-256 of %s read back from the client's GPU", t[1])
          .isEqualTo(expected.get(t[1]));
    }
    assertThat(server.daemon().pendingReplicas()).isZero();
    System.out.println(
        "IPC loads through the daemon: "
            + loadLines.stream().map(l -> String.join(" ", l)).toList());
  }

  private long sumPartitions() throws Exception {
    return io.flashtensors.format.FlashManifest.read(temp.resolve("home/models/gpu/ipc/main"))
        .partitionBytes();
  }

  @Test
  void clientThatDiesWithoutConfirmingShouldHaveItsLoadReleased() throws Exception {
    Process p = client(Integer.toString(port), "gpu/ipc", "die");
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(output).as(output).contains("started");

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (server.daemon().pendingReplicas() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(server.daemon().pendingReplicas()).isZero();
    try (DaemonClient c = DaemonClient.connect("127.0.0.1", port, java.util.Optional.empty())) {
      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (c.status().getResidentList().stream().anyMatch(r -> r.getResidency().getInUse() > 0)
          && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(c.status().getResidentList()).allMatch(r -> r.getResidency().getInUse() == 0);
      // The daemon still serves: a clean load after the dead client works.
      assertThat(c.loadToHost("gpu/ipc", null).getCacheHit()).isTrue();
    }
  }
}
