package io.flashtensors.bench;

import io.flashtensors.cuda.Cuda;
import io.flashtensors.cuda.CudaContext;
import io.flashtensors.cuda.CudaDevice;
import io.flashtensors.cuda.CudaEvent;
import io.flashtensors.cuda.CudaStream;
import io.flashtensors.cuda.DeviceBuffer;
import io.flashtensors.cuda.PinnedBuffer;
import io.flashtensors.format.FlashConverter;
import io.flashtensors.format.ModelFiles;
import io.flashtensors.load.DeviceMap;
import io.flashtensors.load.gpu.CachePolicy;
import io.flashtensors.load.gpu.GpuLoadReport;
import io.flashtensors.load.gpu.GpuLoader;
import io.flashtensors.load.gpu.GpuLoaderOptions;
import io.flashtensors.load.gpu.GpuModel;
import io.flashtensors.load.gpu.LoadSource;
import io.flashtensors.load.gpu.PinnedMemory;
import io.flashtensors.util.ByteSize;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Benchmark of the GPU load path on one GPU: pool allocation, raw ceilings (pinned host-to-device,
 * parallel file reads warm and cold), loads of each model from the page cache, after {@code
 * drop_caches}, and from the resident pool, and hot-swap latency among resident models. Writes JSON
 * and prints a short table last.
 *
 * <pre>
 * java ... io.flashtensors.bench.GpuLoadBenchmark --model 8B=/data/q8b --swap /data/s0,...,/data/s7 \
 *     --pool 16g --threads 16 --warm 5 --cold 2 --resident 5 --swaps 200 --drop-caches --out r.json
 * </pre>
 *
 * <p>Cold runs write {@code /proc/sys/vm/drop_caches}, so they need root.
 */
public final class GpuLoadBenchmark {

  private final Map<String, Path> models = new LinkedHashMap<>();
  private final List<Path> swapModels = new ArrayList<>();
  private long poolSize = 16L << 30;
  private long chunkSize = 32L << 20;
  private int threads = 16;
  private int streams = 2;
  private int warmRuns = 5;
  private int coldRuns = 2;
  private int residentRuns = 5;
  private int swaps = 200;
  private boolean dropCaches;
  private final List<String> convert = new ArrayList<>();
  private final List<String> variants = new ArrayList<>();
  private Path out = Path.of("gpu-load-benchmark.json");
  private final PrintStream log = System.out;
  private final Map<String, Object> result = new LinkedHashMap<>();

  public static void main(String[] args) throws Exception {
    GpuLoadBenchmark b = new GpuLoadBenchmark();
    b.parse(args);
    b.run();
  }

  private void parse(String[] args) {
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String v = i + 1 < args.length ? args[i + 1] : null;
      switch (a) {
        case "--model" -> {
          String[] kv = v.split("=", 2);
          models.put(kv[0], Path.of(kv[1]));
        }
        case "--swap" -> Arrays.stream(v.split(",")).map(Path::of).forEach(swapModels::add);
        case "--pool" -> poolSize = ByteSize.parse(v);
        case "--chunk" -> chunkSize = ByteSize.parse(v);
        case "--threads" -> threads = Integer.parseInt(v);
        case "--streams" -> streams = Integer.parseInt(v);
        case "--warm" -> warmRuns = Integer.parseInt(v);
        case "--cold" -> coldRuns = Integer.parseInt(v);
        case "--resident" -> residentRuns = Integer.parseInt(v);
        case "--swaps" -> swaps = Integer.parseInt(v);
        case "--out" -> out = Path.of(v);
        case "--convert" -> convert.add(v);
        case "--variants" -> variants.addAll(Arrays.asList(v.split(",")));
        case "--drop-caches" -> {
          dropCaches = true;
          i--;
        }
        default -> throw new IllegalArgumentException("unknown argument " + a);
      }
      i++;
    }
  }

  private void run() throws Exception {
    Cuda.requireAvailable();
    CudaDevice device = Cuda.device(0);
    CudaContext ctx = device.context();
    result.put(
        "card",
        Map.of(
            "name", device.name(),
            "uuid", device.uuid(),
            "totalMemoryBytes", device.totalMemory(),
            "driver", Cuda.availability().driverVersionString(),
            "computeCapability", device.computeCapability()));
    log.printf(
        "card: %s (%s), driver CUDA %s%n",
        device.name(), device.uuid(), Cuda.availability().driverVersionString());

    runMain(ctx);
    write();
    Map<String, Object> variantResults = new LinkedHashMap<>();
    result.put("variants", variantResults);
    for (String variant : variants) {
      try {
        variantResults.put(variant, runVariant(variant));
      } catch (RuntimeException e) {
        log.println("variant " + variant + " failed: " + e);
        variantResults.put(variant, Map.of("error", String.valueOf(e)));
      }
      write();
    }
    printTable();
  }

  /** Options for a variant such as {@code registered+prefault} ({@code ""}: the defaults). */
  private GpuLoaderOptions options(String variant) {
    GpuLoaderOptions.Builder b =
        GpuLoaderOptions.builder()
            .memPoolSize(poolSize)
            .chunkSize(chunkSize)
            .threads(threads)
            .streamsPerDevice(streams);
    for (String part : variant.split("\\+")) {
      switch (part.strip().toLowerCase(Locale.ROOT)) {
        case "" -> {}
        case "prefault" -> b.prefaultDeviceMemory(true);
        case "reuse" -> b.deviceMemoryCache(32L << 30);
        case "registered" -> b.pinnedMemory(PinnedMemory.REGISTERED);
        case "host_alloc" -> b.pinnedMemory(PinnedMemory.HOST_ALLOC);
        default -> throw new IllegalArgumentException("unknown variant part " + part);
      }
    }
    return b.build();
  }

  /** Creates a loader and reports how long pinning its pool took. */
  private GpuLoader createLoader(String variant, Map<String, Object> into) throws IOException {
    long hugeBefore = anonHugePages();
    GpuLoaderOptions options = options(variant);
    PinnedMemory kind = options.pinnedMemory();
    GpuLoader loader = GpuLoader.create(options);
    double seconds = loader.poolAllocationTime().toNanos() / 1e9;
    Map<String, Object> pool = new LinkedHashMap<>();
    pool.put("variant", variant.isEmpty() ? "defaults" : variant);
    pool.put("pinnedMemory", kind.toString());
    pool.put("bytes", poolSize);
    pool.put("seconds", seconds);
    pool.put("gibPerSecond", poolSize / (double) GIB / seconds);
    pool.put("threads", loader.options().poolAllocationThreads());
    pool.put("anonHugePagesBytes", anonHugePages() - hugeBefore);
    into.put("poolAllocation", pool);
    log.printf(
        Locale.ROOT,
        "pool allocation (%s): %s pinned in %.2f s (%.2f GiB/s, %d threads), huge pages +%s%n",
        kind,
        ByteSize.format(poolSize),
        seconds,
        poolSize / (double) GIB / seconds,
        loader.options().poolAllocationThreads(),
        ByteSize.format(anonHugePages() - hugeBefore));
    return loader;
  }

  /** AnonHugePages of /proc/meminfo in bytes (0 when unknown). */
  private static long anonHugePages() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("AnonHugePages:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return 0;
    }
    return 0;
  }

  private void runMain(CudaContext ctx) throws Exception {
    GpuLoaderOptions defaults = options("");
    result.put(
        "options",
        Map.of(
            "memPoolSize", poolSize,
            "chunkSize", chunkSize,
            "threads", threads,
            "streamsPerDevice", streams,
            "directIo", defaults.directIo().toString(),
            "pinnedMemory", defaults.pinnedMemory().toString(),
            "prefaultDeviceMemory", defaults.prefaultDeviceMemory()));
    try (GpuLoader loader = createLoader("", result)) {
      Map<String, Object> ceilings = new LinkedHashMap<>();
      result.put("ceilings", ceilings);
      ceilings.put("h2d", h2dCeiling(ctx));
      Path largest = models.isEmpty() ? null : models.values().stream().toList().getLast();
      if (largest != null) {
        ceilings.put("readWarm", readCeiling(ctx, largest));
      }

      Map<String, Object> perModel = new LinkedHashMap<>();
      result.put("models", perModel);
      for (Map.Entry<String, Path> m : models.entrySet()) {
        boolean interleave = m.getValue().equals(largest);
        perModel.put(m.getKey(), benchModel(ctx, loader, m.getKey(), m.getValue(), interleave));
        write();
      }
      if (!swapModels.isEmpty()) {
        result.put("hotSwap", hotSwap(loader));
      }
      loader.clearCache();
      ceilings.put("h2dPool", probe(loader, "defaults"));
      for (String name : convert) {
        Path source = models.get(name);
        Path flash = source.resolveSibling(source.getFileName() + "-flash");
        long t0 = System.nanoTime();
        FlashConverter.Result converted = FlashConverter.create().convert(source, flash);
        double seconds = (System.nanoTime() - t0) / 1e9;
        // Let the written layout reach the disk before timing anything else.
        new ProcessBuilder("sync").inheritIO().start().waitFor();
        log.printf(Locale.ROOT, "converted %s to the flash layout in %.1f s%n", name, seconds);
        Map<String, Object> r = benchModel(ctx, loader, name + "-flash", flash, false);
        r.put("convertSeconds", seconds);
        r.put("convertSkipped", converted.skipped());
        perModel.put(name + "-flash", r);
        write();
      }
      result.put("loaderMetrics", loader.metrics());
    }
  }

  /**
   * Pool copy ceiling, measured over every chunk of the pool (a footprint as large as it), into a
   * reused device buffer, a fresh one per round, and a fresh one written once first.
   */
  private Map<String, Object> probe(GpuLoader loader, String label) {
    Map<String, Object> r = new LinkedHashMap<>();
    for (GpuLoader.ProbeTarget target : GpuLoader.ProbeTarget.values()) {
      r.put(target.name().toLowerCase(Locale.ROOT), loader.probeHostToDevice(0, 5, target));
    }
    r.put("gbps", r.get("reused"));
    r.put("bytes", poolSize);
    log.printf(
        Locale.ROOT,
        "ceiling pinned H2D over the whole pool (%s, %s): %.1f GB/s into reused device memory,"
            + " %.1f into fresh, %.1f into fresh written once first%n",
        label,
        ByteSize.format(poolSize),
        (double) r.get("reused"),
        (double) r.get("fresh"),
        (double) r.get("fresh_prefaulted"));
    return r;
  }

  /** Another configuration: its pool allocation, resident loads, swaps and copy ceilings. */
  private Map<String, Object> runVariant(String variant) throws Exception {
    Map<String, Object> r = new LinkedHashMap<>();
    try (GpuLoader loader = createLoader(variant, r)) {
      if (!models.isEmpty()) {
        String name = models.keySet().stream().toList().getLast();
        Path path = models.get(name);
        DeviceMap gpu0 = DeviceMap.parse("{\"\": 0}");
        List<GpuLoadReport> warm = new ArrayList<>();
        for (int i = 0; i <= 3; i++) {
          loader.evict(path);
          GpuLoadReport rep = loadOnce(loader, path, gpu0, CachePolicy.USE, LoadSource.DISK);
          if (i > 0) {
            warm.add(rep);
          }
        }
        r.put("warm", summarize(name, "warm (" + variant + ")", warm));
        List<GpuLoadReport> resident = new ArrayList<>();
        for (int i = 0; i <= residentRuns; i++) {
          GpuLoadReport rep = loadOnce(loader, path, gpu0, CachePolicy.USE, LoadSource.RESIDENT);
          if (i > 0) {
            resident.add(rep);
          }
        }
        r.put("model", name);
        r.put("resident", summarize(name, "resident (" + variant + ")", resident));
      }
      if (!swapModels.isEmpty()) {
        r.put("hotSwap", hotSwap(loader));
      }
      loader.clearCache();
      r.put("h2dPool", probe(loader, variant));
    }
    return r;
  }

  private static final long GIB = 1L << 30;

  /** Pinned host to device: one 1 GiB copy, and 1 GiB in chunks over the copy streams. */
  private Map<String, Object> h2dCeiling(CudaContext ctx) {
    Map<String, Object> r = new LinkedHashMap<>();
    long t0 = System.nanoTime();
    try (PinnedBuffer host = ctx.allocatePinned(GIB);
        DeviceBuffer dev = ctx.allocate(GIB)) {
      r.put("pin1GiBSingleBlockSeconds", (System.nanoTime() - t0) / 1e9);
      fillRandom(host.segment());
      List<CudaStream> ss = new ArrayList<>();
      for (int i = 0; i < streams; i++) {
        ss.add(ctx.createStream());
      }
      try (CudaEvent start = ctx.createTimingEvent();
          CudaEvent end = ctx.createTimingEvent()) {
        List<Double> single = new ArrayList<>();
        List<Double> chunked = new ArrayList<>();
        for (int rep = 0; rep < 12; rep++) {
          start.record(ss.getFirst());
          dev.copyFromHostAsync(0, host.segment(), ss.getFirst());
          end.record(ss.getFirst());
          end.synchronize();
          single.add(GIB / (end.elapsedMillisSince(start) * 1e6));

          long s = System.nanoTime();
          for (long off = 0, k = 0; off < GIB; off += chunkSize, k++) {
            dev.copyFromHostAsync(
                off, host.segment().asSlice(off, chunkSize), ss.get((int) (k % ss.size())));
          }
          ss.forEach(CudaStream::synchronize);
          chunked.add(GIB / ((System.nanoTime() - s) / 1e9) / 1e9);
        }
        r.put("single1GiB", Stats.of(single.subList(2, single.size())).toMap());
        r.put("chunked", Stats.of(chunked.subList(2, chunked.size())).toMap());
        double best = Math.max(Stats.of(single).median(), Stats.of(chunked).median());
        r.put("gbps", best);
        log.printf(
            "ceiling pinned H2D: %.1f GB/s (1 GiB copy %.1f, %s chunks on %d streams %.1f)%n",
            best,
            Stats.of(single).median(),
            ByteSize.format(chunkSize),
            streams,
            Stats.of(chunked).median());
      } finally {
        ss.forEach(CudaStream::close);
      }
    }
    return r;
  }

  private static void fillRandom(MemorySegment s) {
    java.util.SplittableRandom random = new java.util.SplittableRandom(1);
    for (long i = 0; i + 8 <= s.byteSize(); i += 8) {
      s.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, i, random.nextLong());
    }
  }

  /**
   * Files to pinned memory with {@code threads} threads, {@code chunk-size} reads, no copies to the
   * GPU: the ceiling of the read stage, from the page cache.
   */
  private Map<String, Object> readCeiling(CudaContext ctx, Path model) throws Exception {
    List<Double> rates = new ArrayList<>();
    long total = 0;
    for (int rep = 0; rep < 4; rep++) {
      ReadResult rr = rawRead(ctx, model);
      total = rr.bytes();
      if (rep > 0) {
        rates.add(rr.gbps());
      }
    }
    Stats s = Stats.of(rates);
    log.printf(
        Locale.ROOT,
        "ceiling read warm: %.2f GB/s (%s of %s, %d threads)%n",
        s.median(),
        ByteSize.format(total),
        model.getFileName(),
        threads);
    Map<String, Object> r = new LinkedHashMap<>(s.toMap());
    r.put("bytes", total);
    r.put("gbps", s.median());
    r.put("model", model.toString());
    return r;
  }

  private record ReadResult(long bytes, double gbps) {}

  /** One parallel read of every file of {@code model} into pinned buffers. */
  private ReadResult rawRead(CudaContext ctx, Path model) throws Exception {
    ModelFiles files = ModelFiles.open(model);
    List<Path> paths = files.files().stream().map(ModelFiles.SourceFile::path).toList();
    long total = 0;
    for (Path p : paths) {
      total += Files.size(p);
    }
    try (PinnedBuffer buffers = ctx.allocatePinned(threads * chunkSize)) {
      long t0 = System.nanoTime();
      readAll(paths, buffers.segment());
      return new ReadResult(total, total / ((System.nanoTime() - t0) / 1e9) / 1e9);
    }
  }

  private void readAll(List<Path> paths, MemorySegment buffers) throws Exception {
    List<long[]> tasks = new ArrayList<>();
    List<FileChannel> channels = new ArrayList<>();
    try {
      for (int f = 0; f < paths.size(); f++) {
        FileChannel ch = FileChannel.open(paths.get(f), StandardOpenOption.READ);
        channels.add(ch);
        for (long off = 0; off < ch.size(); off += chunkSize) {
          tasks.add(new long[] {f, off, Math.min(chunkSize, ch.size() - off)});
        }
      }
      AtomicInteger next = new AtomicInteger();
      java.util.concurrent.atomic.AtomicReference<Throwable> failure =
          new java.util.concurrent.atomic.AtomicReference<>();
      List<Thread> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        MemorySegment mine = buffers.asSlice(t * chunkSize, chunkSize);
        workers.add(
            Thread.ofPlatform()
                .start(
                    () -> {
                      int i;
                      while ((i = next.getAndIncrement()) < tasks.size()) {
                        long[] task = tasks.get(i);
                        ByteBuffer bb = mine.asSlice(0, task[2]).asByteBuffer();
                        try {
                          while (bb.hasRemaining()) {
                            if (channels.get((int) task[0]).read(bb, task[1] + bb.position()) < 0) {
                              break;
                            }
                          }
                        } catch (IOException e) {
                          failure.compareAndSet(null, e);
                          return;
                        }
                      }
                    }));
      }
      for (Thread w : workers) {
        w.join();
      }
      if (failure.get() != null) {
        throw new IOException("reading " + paths + " failed", failure.get());
      }
    } finally {
      for (FileChannel ch : channels) {
        ch.close();
      }
    }
  }

  private void dropCaches() throws Exception {
    if (!dropCaches) {
      throw new IllegalStateException("cold runs need --drop-caches");
    }
    new ProcessBuilder("sync").inheritIO().start().waitFor();
    Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
  }

  private Map<String, Object> benchModel(
      CudaContext ctx, GpuLoader loader, String name, Path path, boolean interleaveColdReads)
      throws Exception {
    DeviceMap gpu0 = DeviceMap.parse("{\"\": 0}");
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("path", path.toString());
    loader.clearCache();

    if (dropCaches && coldRuns > 0) {
      List<GpuLoadReport> cold = new ArrayList<>();
      List<Double> rawCold = new ArrayList<>();
      int runs = name.endsWith("-flash") ? 1 : coldRuns;
      for (int i = 0; i < runs; i++) {
        if (interleaveColdReads) {
          // The disk's speed drifts: measure its ceiling next to each cold load.
          dropCaches();
          rawCold.add(rawRead(ctx, path).gbps());
        }
        loader.evict(path);
        dropCaches();
        cold.add(loadOnce(loader, path, gpu0, CachePolicy.USE, LoadSource.DISK));
      }
      r.put("cold", summarize(name, "cold", cold));
      if (!rawCold.isEmpty()) {
        Stats s = Stats.of(rawCold);
        Map<String, Object> ceiling = new LinkedHashMap<>(s.toMap());
        ceiling.put("gbps", s.median());
        ceiling.put("model", path.toString());
        @SuppressWarnings("unchecked")
        Map<String, Object> ceilings = (Map<String, Object>) result.get("ceilings");
        ceilings.put("readCold", ceiling);
        log.printf(
            Locale.ROOT,
            "ceiling read cold: %.2f GB/s (min %.2f, max %.2f, n=%d, %d threads, interleaved"
                + " with the cold loads)%n",
            s.median(),
            s.min(),
            s.max(),
            rawCold.size(),
            threads);
      }
    }

    List<GpuLoadReport> warm = new ArrayList<>();
    for (int i = 0; i <= warmRuns; i++) {
      loader.evict(path);
      GpuLoadReport rep = loadOnce(loader, path, gpu0, CachePolicy.USE, LoadSource.DISK);
      if (i > 0) {
        warm.add(rep); // the first run warms the page cache and the JIT
      }
    }
    r.put("warm", summarize(name, "warm (page cache)", warm));

    List<GpuLoadReport> streamed = new ArrayList<>();
    for (int i = 0; i < Math.min(3, warmRuns); i++) {
      streamed.add(loadOnce(loader, path, gpu0, CachePolicy.BYPASS, LoadSource.STREAMED));
    }
    r.put("warmStreamed", summarize(name, "warm, ring (not cached)", streamed));

    List<GpuLoadReport> resident = new ArrayList<>();
    loadOnce(loader, path, gpu0, CachePolicy.USE, null);
    for (int i = 0; i <= residentRuns; i++) {
      GpuLoadReport rep = loadOnce(loader, path, gpu0, CachePolicy.USE, LoadSource.RESIDENT);
      if (i > 0) {
        resident.add(rep);
      }
    }
    r.put("resident", summarize(name, "resident pool", resident));
    loader.evict(path);
    return r;
  }

  private static GpuLoadReport loadOnce(
      GpuLoader loader, Path path, DeviceMap map, CachePolicy policy, LoadSource expected) {
    try (GpuModel model = loader.load(path, map, policy).join()) {
      GpuLoadReport report = model.report();
      if (expected != null && report.source() != expected) {
        throw new IllegalStateException(
            "expected a %s load of %s, got %s".formatted(expected, path, report.source()));
      }
      return report;
    }
  }

  private Map<String, Object> summarize(String model, String mode, List<GpuLoadReport> runs) {
    Stats seconds = Stats.of(runs.stream().map(GpuLoadReport::seconds).toList());
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("seconds", seconds.toMap());
    r.put("bytes", runs.getFirst().deviceBytes());
    r.put("gbps", runs.getFirst().deviceBytes() / seconds.median() / 1e9);
    r.put(
        "readGbps",
        Stats.of(runs.stream().map(GpuLoadReport::readGigabytesPerSecond).toList()).median());
    r.put(
        "copyGbps",
        Stats.of(runs.stream().map(GpuLoadReport::copyGigabytesPerSecond).toList()).median());
    r.put(
        "allocateSeconds",
        Stats.of(runs.stream().map(GpuLoadReport::allocateSeconds).toList()).median());
    r.put("runs", runs.stream().map(GpuLoadBenchmark::reportMap).toList());
    log.printf(
        Locale.ROOT,
        "%-5s %-24s median %.3f s (min %.3f, max %.3f, n=%d), %.2f GB/s%n",
        model,
        mode,
        seconds.median(),
        seconds.min(),
        seconds.max(),
        runs.size(),
        runs.getFirst().deviceBytes() / seconds.median() / 1e9);
    return r;
  }

  private static Map<String, Object> reportMap(GpuLoadReport r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("source", r.source().toString());
    m.put("seconds", r.seconds());
    m.put("readSeconds", r.readSeconds());
    m.put("copySeconds", r.copySeconds());
    m.put("allocateSeconds", r.allocateSeconds());
    m.put("readBytes", r.readBytes());
    m.put("deviceBytes", r.deviceBytes());
    return m;
  }

  /** Latency of making each of the swap models current in turn, all resident. */
  private Map<String, Object> hotSwap(GpuLoader loader) {
    DeviceMap gpu0 = DeviceMap.parse("{\"\": 0}");
    loader.clearCache();
    for (Path p : swapModels) {
      loadOnce(loader, p, gpu0, CachePolicy.USE, null);
    }
    List<Double> loadMs = new ArrayList<>();
    List<Double> swapMs = new ArrayList<>();
    List<Double> allocateMs = new ArrayList<>();
    List<Double> copyMs = new ArrayList<>();
    GpuModel current = null;
    int warmup = 6 * swapModels.size();
    for (int i = 0; i < swaps + warmup; i++) {
      Path next = swapModels.get(i % swapModels.size());
      long t0 = System.nanoTime();
      GpuModel loaded = loader.load(next, gpu0).join();
      long t1 = System.nanoTime();
      if (current != null) {
        current.close();
      }
      long t2 = System.nanoTime();
      current = loaded;
      if (loaded.report().source() != LoadSource.RESIDENT) {
        throw new IllegalStateException("swap model " + next + " was not resident");
      }
      if (i >= warmup) {
        loadMs.add((t1 - t0) / 1e6);
        swapMs.add((t2 - t0) / 1e6);
        allocateMs.add(loaded.report().allocateSeconds() * 1e3);
        copyMs.add(loaded.report().copySeconds() * 1e3);
      }
    }
    current.close();
    Stats load = Stats.of(loadMs);
    Stats swap = Stats.of(swapMs);
    log.printf(
        Locale.ROOT,
        "hot swap (%d resident models, %d swaps): load p50 %.1f ms, p99 %.1f ms, max %.1f ms;"
            + " with freeing the previous p50 %.1f ms, p99 %.1f ms%n",
        swapModels.size(),
        swaps,
        load.median(),
        load.percentile(99),
        load.max(),
        swap.median(),
        swap.percentile(99));
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("models", swapModels.stream().map(Path::toString).toList());
    r.put("swaps", swaps);
    r.put("loadMillis", load.toMap());
    r.put("loadAndFreePreviousMillis", swap.toMap());
    r.put("allocateMillis", Stats.of(allocateMs).toMap());
    r.put("copyMillis", Stats.of(copyMs).toMap());
    r.put("slowest", slowest(loadMs, allocateMs, copyMs));
    log.printf(
        Locale.ROOT,
        "  of which device allocation p50 %.2f ms p99 %.2f ms; copies p50 %.1f ms p99 %.1f ms%n",
        Stats.of(allocateMs).median(),
        Stats.of(allocateMs).percentile(99),
        Stats.of(copyMs).median(),
        Stats.of(copyMs).percentile(99));
    return r;
  }

  /** The five slowest swaps with their stages, to see where a tail comes from. */
  private static List<Map<String, Object>> slowest(
      List<Double> load, List<Double> allocate, List<Double> copy) {
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < load.size(); i++) {
      order.add(i);
    }
    order.sort((a, b) -> Double.compare(load.get(b), load.get(a)));
    List<Map<String, Object>> worst = new ArrayList<>();
    for (int i : order.subList(0, Math.min(5, order.size()))) {
      worst.add(
          Map.of(
              "index",
              i,
              "loadMs",
              load.get(i),
              "allocateMs",
              allocate.get(i),
              "copyMs",
              copy.get(i)));
    }
    return worst;
  }

  private void write() throws IOException {
    JsonMapper json = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
    Files.writeString(out, json.writeValueAsString(result));
  }

  @SuppressWarnings("unchecked")
  private void printTable() {
    log.println();
    log.println(
        "== GPU load benchmark ("
            + ((Map<String, Object>) result.get("card")).get("name")
            + ") ==");
    Map<String, Object> pool = (Map<String, Object>) result.get("poolAllocation");
    log.printf(
        Locale.ROOT,
        "pool allocation: %s in %.2f s%n",
        ByteSize.format((long) pool.get("bytes")),
        (double) pool.get("seconds"));
    Map<String, Object> c = (Map<String, Object>) result.get("ceilings");
    log.printf(
        Locale.ROOT,
        "ceilings: pinned H2D %.1f GB/s",
        (double) ((Map<String, Object>) c.get("h2d")).get("gbps"));
    if (c.containsKey("h2dPool")) {
      log.printf(
          Locale.ROOT,
          " (over the whole pool %.1f)",
          (double) ((Map<String, Object>) c.get("h2dPool")).get("gbps"));
    }
    if (c.containsKey("readWarm")) {
      log.printf(
          Locale.ROOT,
          ", read warm %.1f GB/s",
          (double) ((Map<String, Object>) c.get("readWarm")).get("gbps"));
    }
    if (c.containsKey("readCold")) {
      log.printf(
          Locale.ROOT,
          ", read cold %.2f GB/s",
          (double) ((Map<String, Object>) c.get("readCold")).get("gbps"));
    }
    log.println();
    log.printf("%-6s %-10s %-10s %-10s %-10s%n", "model", "warm s", "cold s", "resident s", "GB");
    Map<String, Object> ms = (Map<String, Object>) result.get("models");
    ms.forEach(
        (name, v) -> {
          Map<String, Object> m = (Map<String, Object>) v;
          log.printf(
              Locale.ROOT,
              "%-6s %-10s %-10s %-10s %.2f%n",
              name,
              median(m, "warm"),
              median(m, "cold"),
              median(m, "resident"),
              ((Number) ((Map<String, Object>) m.get("warm")).get("bytes")).longValue() / 1e9);
        });
    if (result.containsKey("hotSwap")) {
      Map<String, Object> load =
          (Map<String, Object>) ((Map<String, Object>) result.get("hotSwap")).get("loadMillis");
      log.printf(
          Locale.ROOT,
          "hot swap: p50 %.1f ms, p99 %.1f ms%n",
          (double) load.get("median"),
          (double) load.get("p99"));
    }
    Map<String, Object> vs = (Map<String, Object>) result.getOrDefault("variants", Map.of());
    vs.forEach(
        (name, v) -> {
          Map<String, Object> m = (Map<String, Object>) v;
          if (m.containsKey("error")) {
            log.printf("variant %s: %s%n", name, m.get("error"));
            return;
          }
          Map<String, Object> p = (Map<String, Object>) m.get("poolAllocation");
          Map<String, Object> swap =
              m.containsKey("hotSwap")
                  ? (Map<String, Object>) ((Map<String, Object>) m.get("hotSwap")).get("loadMillis")
                  : Map.of("p99", Double.NaN);
          log.printf(
              Locale.ROOT,
              "variant %s: pool %.2f s, warm %s s, resident %s s, swap p99 %.1f ms, pool H2D %.1f%n",
              name,
              (double) p.get("seconds"),
              median(m, "warm"),
              median(m, "resident"),
              (double) swap.get("p99"),
              (double) ((Map<String, Object>) m.get("h2dPool")).get("gbps"));
        });
  }

  @SuppressWarnings("unchecked")
  private static String median(Map<String, Object> m, String mode) {
    if (!m.containsKey(mode)) {
      return "-";
    }
    Map<String, Object> s =
        (Map<String, Object>) ((Map<String, Object>) m.get(mode)).get("seconds");
    return String.format(Locale.ROOT, "%.3f", (double) s.get("median"));
  }

  /** Median, spread and percentiles of a sample. */
  record Stats(double[] sorted) {
    static Stats of(List<Double> values) {
      return new Stats(values.stream().mapToDouble(Double::doubleValue).sorted().toArray());
    }

    double median() {
      return percentile(50);
    }

    double min() {
      return sorted[0];
    }

    double max() {
      return sorted[sorted.length - 1];
    }

    double percentile(double p) {
      double rank = p / 100 * (sorted.length - 1);
      int lo = (int) Math.floor(rank);
      int hi = (int) Math.ceil(rank);
      return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }

    Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("median", median());
      m.put("min", min());
      m.put("max", max());
      m.put("mean", Arrays.stream(sorted).average().orElse(0));
      m.put("p90", percentile(90));
      m.put("p99", percentile(99));
      m.put("n", sorted.length);
      return m;
    }
  }
}
