package io.flashtensors.bench;

import io.flashtensors.format.DType;
import io.flashtensors.format.FlashConverter;
import io.flashtensors.format.FlashManifest;
import io.flashtensors.format.ModelFiles;
import io.flashtensors.format.Progress;
import io.flashtensors.load.DirectIo;
import io.flashtensors.load.FlashLoader;
import io.flashtensors.load.LoadedModel;
import io.flashtensors.memory.HostMemory;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Host-side load benchmark: generates a Qwen3-shaped checkpoint with random weights (safetensors,
 * then the flash layout), warms the page cache, and times loading it into host memory with the
 * {@link FlashLoader} at several thread counts against a plain single-threaded {@link FileChannel}
 * read and against mmap. Each case runs once untimed, then {@code repeat} timed rounds of all cases
 * in turn, so that a change of load on a shared machine affects every case alike.
 */
public final class LoadBenchmark {

  /** Settings. */
  public record Settings(
      Path dir,
      ModelShape shape,
      List<Integer> threads,
      long chunkSize,
      int repeat,
      boolean direct) {}

  /** One measured case: seconds of each timed run. */
  public record Case(
      String name, String description, long bytes, double[] seconds, double[] cpuSeconds) {

    double median() {
      return LoadBenchmark.median(seconds);
    }

    double min() {
      return Arrays.stream(seconds).min().orElse(0);
    }

    double max() {
      return Arrays.stream(seconds).max().orElse(0);
    }
  }

  private final Settings settings;
  private final PrintWriter out;

  public LoadBenchmark(Settings settings, PrintWriter out) {
    this.settings = settings;
    this.out = out;
  }

  /** Runs every case and returns the results as JSON. */
  public ObjectNode run() throws IOException {
    Path safetensors = settings.dir().resolve("safetensors");
    Path flash = settings.dir().resolve("flash");
    if (!Files.isDirectory(safetensors)) {
      out.printf(
          "generating %s-shaped checkpoint in %s ...%n", settings.shape().name(), safetensors);
      out.flush();
      new CheckpointGenerator(settings.shape(), DType.BF16, 4L << 30, 1)
          .write(safetensors, Progress.NONE);
    }
    FlashConverter.Result converted = FlashConverter.create().convert(safetensors, flash);
    out.printf(
        "flash layout %s (%s)%n",
        flash,
        converted.skipped()
            ? "up to date"
            : "converted in %.1f s".formatted(converted.nanos() / 1e9));
    ModelFiles flashFiles = ModelFiles.open(flash);
    ModelFiles stFiles = ModelFiles.open(safetensors);
    List<Path> partitions = flashFiles.files().stream().map(ModelFiles.SourceFile::path).toList();
    long bytes = partitions.stream().mapToLong(LoadBenchmark::size).sum();
    double[] loadBefore = loadAverage();
    warm(partitions);
    warm(stFiles.files().stream().map(ModelFiles.SourceFile::path).toList());

    List<Planned> planned = new ArrayList<>();
    planned.add(
        new Planned(
            "filechannel-1t",
            "plain FileChannel.read, 1 thread, 32 MiB reads into fresh host memory",
            bytes,
            () -> fileChannel(partitions)));
    planned.add(
        new Planned(
            "mmap-touch-1t",
            "FileChannel.map, read one long per 4 KiB page: maps the cached pages, copies nothing",
            bytes,
            () -> mmap(partitions, false)));
    planned.add(
        new Planned(
            "mmap-copy-1t",
            "FileChannel.map, copy into fresh host memory, 1 thread",
            bytes,
            () -> mmap(partitions, true)));
    for (int t : settings.threads()) {
      FlashLoader loader = loader(t, DirectIo.OFF, false);
      planned.add(
          new Planned(
              "flash-%dt".formatted(t),
              "FlashLoader, flash layout, buffered reads, %d threads".formatted(t),
              bytes,
              () -> load(loader, flash)));
    }
    int most = settings.threads().stream().mapToInt(Integer::intValue).max().orElse(1);
    FlashLoader verifying = loader(most, DirectIo.OFF, true);
    planned.add(
        new Planned(
            "flash-%dt-verify".formatted(most),
            "FlashLoader, flash layout, CRC32C verified, %d threads".formatted(most),
            bytes,
            () -> load(verifying, flash)));
    FlashLoader fromSafetensors = loader(most, DirectIo.OFF, false);
    long stBytes = stFiles.files().stream().mapToLong(f -> f.size() - f.dataStart()).sum();
    planned.add(
        new Planned(
            "safetensors-%dt".formatted(most),
            "FlashLoader straight from safetensors (read in place), %d threads".formatted(most),
            stBytes,
            () -> load(fromSafetensors, safetensors)));
    if (settings.direct()) {
      FlashLoader direct = loader(most, DirectIo.ON, false);
      planned.add(
          new Planned(
              "flash-%dt-odirect".formatted(most),
              "FlashLoader, O_DIRECT (bypasses the page cache: reads the disk), %d threads"
                  .formatted(most),
              bytes,
              () -> load(direct, flash)));
    }
    List<Case> cases = measure(planned);
    double[] loadAfter = loadAverage();
    return toJson(cases, bytes, loadBefore, loadAfter, flash);
  }

  private FlashLoader loader(int threads, DirectIo io, boolean verify) {
    return FlashLoader.builder()
        .threads(threads)
        .chunkSize(settings.chunkSize())
        .directIo(io)
        .verifyChecksums(verify)
        .build();
  }

  @FunctionalInterface
  private interface Body {
    void run() throws IOException;
  }

  /** A case to run. */
  private record Planned(String name, String description, long bytes, Body body) {}

  /**
   * Runs every case once untimed, then {@code repeat} rounds of every case in turn, so that a
   * change of load on a shared machine affects all cases alike.
   */
  private List<Case> measure(List<Planned> planned) throws IOException {
    for (Planned p : planned) {
      p.body().run();
    }
    int n = settings.repeat();
    double[][] seconds = new double[planned.size()][n];
    double[][] cpu = new double[planned.size()][n];
    for (int round = 0; round < n; round++) {
      for (int i = 0; i < planned.size(); i++) {
        long c0 = processCpuNanos();
        long t0 = System.nanoTime();
        planned.get(i).body().run();
        seconds[i][round] = (System.nanoTime() - t0) / 1e9;
        cpu[i][round] = (processCpuNanos() - c0) / 1e9;
      }
    }
    List<Case> cases = new ArrayList<>();
    for (int i = 0; i < planned.size(); i++) {
      Planned p = planned.get(i);
      Case c = new Case(p.name(), p.description(), p.bytes(), seconds[i], cpu[i]);
      out.printf(
          Locale.ROOT,
          "%-18s median %.3f s (min %.3f, max %.3f)  %.2f GB/s  cpu %.2f s  [%s]%n",
          c.name(),
          c.median(),
          c.min(),
          c.max(),
          c.bytes() / c.median() / 1e9,
          median(c.cpuSeconds()),
          c.description());
      cases.add(c);
    }
    out.flush();
    return cases;
  }

  /** CPU time of this process (all threads, user and system). */
  private static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return 0;
  }

  private static double median(double[] values) {
    double[] s = values.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static void load(FlashLoader loader, Path path) throws IOException {
    try (LoadedModel model = loader.load(path)) {
      if (model.tensors().isEmpty()) {
        throw new IllegalStateException("no tensors");
      }
    }
  }

  private void fileChannel(List<Path> files) throws IOException {
    try (Arena arena = Arena.ofShared()) {
      for (Path file : files) {
        long size = Files.size(file);
        MemorySegment into = HostMemory.allocate(size, arena);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
          for (long at = 0; at < size; ) {
            ByteBuffer piece =
                into.asSlice(at, Math.min(settings.chunkSize(), size - at)).asByteBuffer();
            while (piece.hasRemaining()) {
              if (channel.read(piece, at + piece.position()) < 0) {
                throw new IOException(file + ": ended early");
              }
            }
            at += piece.capacity();
          }
        }
      }
    }
  }

  private static void mmap(List<Path> files, boolean copy) throws IOException {
    long sum = 0;
    try (Arena arena = Arena.ofConfined()) {
      for (Path file : files) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
          MemorySegment mapped =
              channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
          if (copy) {
            MemorySegment into = HostMemory.allocate(mapped.byteSize(), arena);
            MemorySegment.copy(mapped, 0, into, 0, mapped.byteSize());
          } else {
            for (long at = 0; at < mapped.byteSize(); at += 4096) {
              sum += mapped.get(ValueLayout.JAVA_LONG_UNALIGNED, at);
            }
          }
        }
      }
    }
    if (sum == 42) {
      System.out.print("");
    }
  }

  private static void warm(List<Path> files) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocateDirect(8 << 20);
    for (Path file : files) {
      try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
        while (channel.read(buffer) >= 0) {
          buffer.clear();
        }
      }
    }
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static double[] loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return new double[] {
        Double.parseDouble(parts[0]), Double.parseDouble(parts[1]), Double.parseDouble(parts[2])
      };
    } catch (IOException | RuntimeException e) {
      return new double[] {ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()};
    }
  }

  private ObjectNode toJson(
      List<Case> cases, long bytes, double[] before, double[] after, Path flash)
      throws IOException {
    JsonMapper mapper = JsonMapper.builder().build();
    ObjectNode root = mapper.createObjectNode();
    root.put("benchmark", "host-load");
    root.put("date", Instant.now().toString());
    ObjectNode machine = root.putObject("machine");
    machine.put("processors", Runtime.getRuntime().availableProcessors());
    machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    machine.put("java", Runtime.version().toString());
    machine.put("file_system", Files.getFileStore(flash).type());
    machine.put("memory_bytes", memoryBytes());
    ArrayNode lb = machine.putArray("load_average_before");
    Arrays.stream(before).forEach(lb::add);
    ArrayNode la = machine.putArray("load_average_after");
    Arrays.stream(after).forEach(la::add);
    ObjectNode model = root.putObject("checkpoint");
    model.put("shape", settings.shape().name());
    model.put("layers", settings.shape().layers());
    model.put("dtype", "BF16");
    model.put("flash_bytes", bytes);
    FlashManifest manifest = FlashManifest.read(flash);
    model.put("partitions", manifest.partitions().size());
    model.put("tensors", manifest.tensors().size());
    root.put("chunk_size", settings.chunkSize());
    root.put("repeat", settings.repeat());
    root.put("page_cache", "warm (every file read once before the first case)");
    ArrayNode list = root.putArray("cases");
    for (Case c : cases) {
      ObjectNode node = list.addObject();
      node.put("name", c.name());
      node.put("description", c.description());
      node.put("bytes", c.bytes());
      ArrayNode s = node.putArray("seconds");
      Arrays.stream(c.seconds()).forEach(s::add);
      node.put("median_seconds", c.median());
      node.put("min_seconds", c.min());
      node.put("max_seconds", c.max());
      node.put("median_gb_per_s", c.bytes() / c.median() / 1e9);
      ArrayNode cpu = node.putArray("cpu_seconds");
      Arrays.stream(c.cpuSeconds()).forEach(cpu::add);
      node.put("median_cpu_seconds", median(c.cpuSeconds()));
    }
    return root;
  }

  private static long memoryBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException ignored) {
      // not Linux
    }
    return -1;
  }
}
