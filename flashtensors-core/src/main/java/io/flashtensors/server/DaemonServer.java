package io.flashtensors.server;

import io.flashtensors.config.Settings;
import io.flashtensors.cuda.Cuda;
import io.flashtensors.load.FlashLoader;
import io.flashtensors.store.ModelStore;
import io.flashtensors.util.ByteSize;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * The daemon process's server: a {@link Daemon} behind gRPC on {@code host:port}.
 *
 * <p>It binds {@code 127.0.0.1} unless another address is configured, and refuses to bind any
 * address beyond loopback without a token; with a token every call must carry it.
 */
public final class DaemonServer implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(DaemonServer.class.getName());

  private final Server server;
  private final Daemon daemon;
  private final Optional<Path> sharedDir;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final AtomicBoolean closing = new AtomicBoolean();

  private DaemonServer(Server server, Daemon daemon, Optional<Path> sharedDir) {
    this.server = server;
    this.daemon = daemon;
    this.sharedDir = sharedDir;
  }

  /** Starts a server as {@code flashtensors start} configures it. */
  public static DaemonServer start(Settings settings) throws IOException {
    return builder(settings).start();
  }

  public static Builder builder(Settings settings) {
    return new Builder(settings);
  }

  /** The port it listens on (-1 in process). */
  public int port() {
    return server.getPort();
  }

  /** The daemon behind the server. */
  public Daemon daemon() {
    return daemon;
  }

  /** Blocks until the server has stopped. */
  public void awaitStop() throws InterruptedException {
    stopped.await();
  }

  /** Stops accepting calls, lets running ones finish (up to 10 s), and frees the cache. */
  @Override
  public void close() {
    stop(() -> {});
  }

  /**
   * Stops as {@link #close()} does, then runs {@code then} before {@link #awaitStop()} returns. The
   * first caller stops the server; a concurrent or later one waits until it has stopped.
   */
  private void stop(Runnable then) {
    if (!closing.compareAndSet(false, true)) {
      awaitStopUninterruptibly();
      return;
    }
    server.shutdown();
    try {
      if (!server.awaitTermination(10, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    } finally {
      daemon.close();
      sharedDir.ifPresent(
          d -> {
            try {
              Files.deleteIfExists(d); // empty once the cache freed its models
            } catch (IOException e) {
              LOG.warning("cannot remove " + d + ": " + e.getMessage());
            }
          });
      try {
        then.run();
      } finally {
        stopped.countDown();
      }
    }
  }

  private void awaitStopUninterruptibly() {
    boolean interrupted = false;
    while (true) {
      try {
        stopped.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** How to build a server; the defaults are the production ones. */
  public static final class Builder {
    private final Settings settings;
    private ModelHost host;
    private Optional<DeviceCopier> copier;
    private String cudaMessage = "";
    private String inProcessName;
    private Duration defaultLease = Duration.ofSeconds(60);
    private Duration reapInterval = Duration.ofMillis(500);
    private Runnable onShutdown = () -> {};

    private Builder(Settings settings) {
      this.settings = settings;
    }

    /** The resident cache (default: host memory of mem-pool-size, pinned when CUDA works). */
    public Builder host(ModelHost host) {
      this.host = host;
      return this;
    }

    /** The GPU copier (default: CUDA IPC when CUDA works). */
    public Builder copier(Optional<DeviceCopier> copier, String whyNot) {
      this.copier = copier;
      this.cudaMessage = whyNot;
      return this;
    }

    /** Serve in this process under a name instead of on a socket (tests). */
    public Builder inProcess(String name) {
      this.inProcessName = name;
      return this;
    }

    /**
     * Lease of unconfirmed replicas when the request names none, and how often leases are checked.
     */
    public Builder leases(Duration defaultLease, Duration reapInterval) {
      this.defaultLease = defaultLease;
      this.reapInterval = reapInterval;
      return this;
    }

    /**
     * Also run when a client asks the daemon to shut down: after the server stops, before {@link
     * DaemonServer#awaitStop()} returns.
     */
    public Builder onShutdown(Runnable action) {
      this.onShutdown = action;
      return this;
    }

    /** Binds and starts serving. */
    public DaemonServer start() throws IOException {
      if (!settings.loopback() && settings.token().isEmpty() && inProcessName == null) {
        throw new IllegalStateException(
            "binding "
                + settings.host()
                + " exposes the daemon beyond this machine: set a token (FLASHTENSORS_TOKEN, token"
                + " in "
                + settings.configFile()
                + ", or --token) or bind 127.0.0.1");
      }
      ModelStore store = ModelStore.open(settings.storagePath());
      if (copier == null) {
        if (Cuda.isAvailable()) {
          copier = Optional.of(CudaIpcCopier.create());
          cudaMessage = "";
        } else {
          copier = Optional.empty();
          cudaMessage = Cuda.availability().reason();
        }
      }
      Optional<Path> sharedDir = Optional.empty();
      if (host == null) {
        sharedDir = sharedMemoryFolder(settings);
        FlashLoader loader =
            FlashLoader.builder()
                .threads(settings.threads())
                .chunkSize(settings.chunkSize())
                .build();
        host =
            new HostModelCache(
                settings.memPoolSize(),
                loader,
                copier.isPresent() ? new CudaPinning() : HostPinning.NONE,
                sharedDir);
      }
      DaemonServer[] self = new DaemonServer[1];
      Runnable stop = () -> self[0].stop(onShutdown);
      Daemon daemon =
          new Daemon(
              new Daemon.DaemonInfo(
                  version(),
                  ProcessHandle.current().pid(),
                  settings.host(),
                  settings.port(),
                  System.currentTimeMillis(),
                  settings.chunkSize(),
                  settings.threads()),
              store,
              host,
              copier,
              cudaMessage,
              stop,
              defaultLease,
              reapInterval);
      ServerServiceDefinition service = DaemonGrpc.bind(daemon);
      if (settings.token().isPresent()) {
        service =
            ServerInterceptors.intercept(service, new TokenInterceptor(settings.token().get()));
      }
      Server server;
      if (inProcessName != null) {
        server = InProcessServerBuilder.forName(inProcessName).addService(service).build();
      } else {
        server =
            NettyServerBuilder.forAddress(new InetSocketAddress(settings.host(), settings.port()))
                .addService(service)
                .build();
      }
      // Before start: a Shutdown call may arrive as soon as the server listens.
      self[0] = new DaemonServer(server, daemon, sharedDir);
      try {
        server.start();
      } catch (IOException e) {
        daemon.close();
        if (inProcessName != null) {
          throw e;
        }
        Throwable root = e;
        while (root.getCause() != null) {
          root = root.getCause();
        }
        throw new IOException(
            "cannot listen on "
                + settings.host()
                + ":"
                + settings.port()
                + " ("
                + root.getMessage()
                + "): is another program on that port? --port chooses another",
            e);
      }
      LOG.info(
          "flashtensors daemon "
              + version()
              + " listening on "
              + settings.host()
              + ":"
              + server.getPort()
              + ", store "
              + store.root()
              + ", pool "
              + ByteSize.format(settings.memPoolSize())
              + (host.pinned() ? " (pinned)" : " (not pinned: " + cudaMessage + ")"));
      return self[0];
    }
  }

  /**
   * The daemon's folder on {@code /dev/shm}: one per user and flashtensors home (so two daemons of
   * one user never share it), emptied at start since only a crashed daemon of this home leaves
   * files there. Empty when the machine has no {@code /dev/shm}.
   */
  static Optional<Path> sharedMemoryFolder(Settings settings) {
    Path shm = Path.of("/dev/shm");
    if (!Files.isDirectory(shm) || !Files.isWritable(shm)) {
      return Optional.empty();
    }
    String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9._-]", "_");
    String home = Integer.toHexString(settings.home().toString().hashCode());
    Path dir = shm.resolve("flashtensors-" + user + "-" + home);
    try {
      if (Files.isDirectory(dir)) {
        try (var stale = Files.list(dir)) {
          for (Path f : stale.toList()) {
            Files.deleteIfExists(f);
          }
        }
      } else {
        Files.createDirectories(
            dir,
            java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
      }
      return Optional.of(dir);
    } catch (IOException | UnsupportedOperationException e) {
      LOG.warning("no shared memory for clients: " + dir + ": " + e.getMessage());
      return Optional.empty();
    }
  }

  /** flashtensors's version from the jar manifest, or "development". */
  public static String version() {
    String v = DaemonServer.class.getPackage().getImplementationVersion();
    return v == null ? "development" : v;
  }
}
