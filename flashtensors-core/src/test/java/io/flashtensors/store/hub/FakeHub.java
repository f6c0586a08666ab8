package io.flashtensors.store.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Hugging Face Hub on loopback with the real URL layout and headers: the model-info API with
 * {@code blobs=true}, {@code resolve} URLs that answer small files directly and redirect LFS files
 * to a CDN on another port (another origin, so tokens must not follow), byte ranges, the Hub's
 * {@code X-Error-Code} errors, and faults to inject: connections cut mid-file, stalls, corrupted
 * bytes, 503s.
 */
public final class FakeHub implements AutoCloseable {

  /** A repository at one commit. */
  public static final class Repo {
    final String id;
    final String commit;
    final Map<String, byte[]> files = new LinkedHashMap<>();
    final List<String> lfs = new ArrayList<>();
    boolean gated;
    boolean privateRepo;

    Repo(String id, String commit) {
      this.id = id;
      this.commit = commit;
    }

    public Repo file(String path, byte[] content, boolean inLfs) {
      files.put(path, content);
      if (inLfs) {
        lfs.add(path);
      }
      return this;
    }
  }

  /** One request as the hub saw it. */
  record Seen(String server, String path, String range, String authorization) {}

  final Map<String, Repo> repos = new ConcurrentHashMap<>();
  final List<Seen> seen = Collections.synchronizedList(new ArrayList<>());

  /**
   * Per file path: how many bytes to send before cutting the connection, for the next N requests.
   */
  final Map<String, int[]> cuts = new ConcurrentHashMap<>();

  /**
   * Per file path: send this many bytes, then stall until the hub closes (next request only): a
   * client that waits for the rest never finishes.
   */
  final Map<String, Integer> stalls = new ConcurrentHashMap<>();

  private final CountDownLatch closed = new CountDownLatch(1);

  /** Per file path: how many of the next responses carry a flipped byte. */
  final Map<String, AtomicInteger> corrupt = new ConcurrentHashMap<>();

  /** Model-info requests that answer 503 before one succeeds. */
  final AtomicInteger infoFailures = new AtomicInteger();

  /** The token private and gated repositories accept. */
  String acceptedToken = "hf_valid";

  private final HttpServer hub;
  private final ServerSocket cdn;

  public FakeHub() throws IOException {
    hub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    hub.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    hub.createContext("/", this::hub);
    hub.start();
    // The CDN speaks raw HTTP/1.1 so that a fault can really cut the connection (HttpServer
    // keeps it open when a handler writes fewer bytes than it announced).
    cdn = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread.ofVirtual()
        .start(
            () -> {
              while (!cdn.isClosed()) {
                try {
                  Socket socket = cdn.accept();
                  Thread.ofVirtual().start(() -> cdn(socket));
                } catch (IOException closed) {
                  return;
                }
              }
            });
  }

  public String endpoint() {
    return "http://127.0.0.1:" + hub.getAddress().getPort();
  }

  public Repo add(String id, String commit) {
    Repo r = new Repo(id, commit);
    repos.put(id, r);
    return r;
  }

  long requestsFor(String suffix) {
    synchronized (seen) {
      return seen.stream().filter(s -> s.path().endsWith(suffix)).count();
    }
  }

  List<Seen> seenOn(String server) {
    synchronized (seen) {
      return seen.stream().filter(s -> s.server().equals(server)).toList();
    }
  }

  private void record(String server, HttpExchange ex) {
    seen.add(
        new Seen(
            server,
            ex.getRequestURI().getRawPath(),
            ex.getRequestHeaders().getFirst("Range"),
            ex.getRequestHeaders().getFirst("Authorization")));
  }

  private void hub(HttpExchange ex) throws IOException {
    try (ex) {
      record("hub", ex);
      String raw = ex.getRequestURI().getRawPath();
      if (raw.startsWith("/api/models/")) {
        info(ex, raw.substring("/api/models/".length()));
      } else {
        resolve(ex, raw);
      }
    }
  }

  private void info(HttpExchange ex, String rest) throws IOException {
    // {org}/{name}/revision/{revision}
    String[] parts = rest.split("/", 4);
    if (parts.length < 4 || !parts[2].equals("revision")) {
      error(ex, 404, "", "not found");
      return;
    }
    if (infoFailures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      ex.getResponseHeaders().set("Retry-After", "0");
      error(ex, 503, "", "try later");
      return;
    }
    Repo repo = repos.get(parts[0] + "/" + parts[1]);
    String revision = URLDecoder.decode(parts[3], StandardCharsets.UTF_8);
    if (repo == null || (repo.privateRepo && !authorized(ex))) {
      error(ex, 401, "RepoNotFound", "Repository not found");
      return;
    }
    if (!revision.equals("main") && !revision.equals(repo.commit)) {
      error(ex, 404, "RevisionNotFound", "Invalid rev id: " + revision);
      return;
    }
    StringBuilder json = new StringBuilder();
    json.append("{\"_id\":\"x\",\"id\":\"")
        .append(repo.id)
        .append("\",\"sha\":\"")
        .append(repo.commit)
        .append("\",\"private\":")
        .append(repo.privateRepo)
        .append(",\"gated\":")
        .append(repo.gated ? "\"manual\"" : "false")
        .append(",\"siblings\":[");
    boolean first = true;
    for (var e : repo.files.entrySet()) {
      json.append(first ? "" : ",");
      first = false;
      byte[] content = e.getValue();
      json.append("{\"rfilename\":\"")
          .append(e.getKey())
          .append("\",\"size\":")
          .append(content.length);
      if (repo.lfs.contains(e.getKey())) {
        String pointer =
            "version https://git-lfs.github.com/spec/v1\noid sha256:"
                + sha256(content)
                + "\nsize "
                + content.length
                + "\n";
        json.append(",\"blobId\":\"")
            .append(gitBlob(pointer.getBytes(StandardCharsets.UTF_8)))
            .append("\",\"lfs\":{\"sha256\":\"")
            .append(sha256(content))
            .append("\",\"size\":")
            .append(content.length)
            .append(",\"pointerSize\":")
            .append(pointer.length())
            .append("}");
      } else {
        json.append(",\"blobId\":\"").append(gitBlob(content)).append("\"");
      }
      json.append("}");
    }
    json.append("]}");
    byte[] body = json.toString().getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(200, body.length);
    ex.getResponseBody().write(body);
  }

  private void resolve(HttpExchange ex, String raw) throws IOException {
    // /{org}/{name}/resolve/{revision}/{path}
    String[] parts = raw.substring(1).split("/", 5);
    if (parts.length < 5 || !parts[2].equals("resolve")) {
      error(ex, 404, "", "not found");
      return;
    }
    Repo repo = repos.get(parts[0] + "/" + parts[1]);
    if (repo == null || (repo.privateRepo && !authorized(ex))) {
      error(ex, 401, "RepoNotFound", "Repository not found");
      return;
    }
    if (repo.gated && !authorized(ex)) {
      String auth = ex.getRequestHeaders().getFirst("Authorization");
      error(
          ex,
          auth == null ? 401 : 403,
          "GatedRepo",
          "Access to model " + repo.id + " is restricted.");
      return;
    }
    if (!parts[3].equals(repo.commit) && !parts[3].equals("main")) {
      error(ex, 404, "RevisionNotFound", "Invalid rev id");
      return;
    }
    String path = URLDecoder.decode(parts[4], StandardCharsets.UTF_8);
    byte[] content = repo.files.get(path);
    if (content == null) {
      error(ex, 404, "EntryNotFound", path + " does not exist on \"" + parts[3] + "\"");
      return;
    }
    ex.getResponseHeaders().set("X-Repo-Commit", repo.commit);
    if (repo.lfs.contains(path)) {
      String sha = sha256(content);
      ex.getResponseHeaders().set("X-Linked-Etag", "\"" + sha + "\"");
      ex.getResponseHeaders().set("X-Linked-Size", Integer.toString(content.length));
      ex.getResponseHeaders().set("ETag", "\"" + gitBlob(content) + "\"");
      ex.getResponseHeaders()
          .set(
              "Location",
              "http://127.0.0.1:"
                  + cdn.getLocalPort()
                  + "/repos/"
                  + sha
                  + "?path="
                  + repo.id
                  + "/"
                  + path);
      ex.sendResponseHeaders(302, -1);
      return;
    }
    ex.getResponseHeaders().set("ETag", "\"" + gitBlob(content) + "\"");
    serve(ex, path, content);
  }

  private void cdn(Socket socket) {
    try (socket) {
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
      String requestLine = in.readLine();
      if (requestLine == null) {
        return;
      }
      Map<String, String> headers = new LinkedHashMap<>();
      String line;
      while ((line = in.readLine()) != null && !line.isEmpty()) {
        int colon = line.indexOf(':');
        headers.put(
            line.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT),
            line.substring(colon + 1).trim());
      }
      URI uri = URI.create(requestLine.split(" ")[1]);
      seen.add(
          new Seen("cdn", uri.getRawPath(), headers.get("range"), headers.get("authorization")));
      String repoAndPath = uri.getQuery().substring("path=".length());
      int slash = repoAndPath.indexOf('/', repoAndPath.indexOf('/') + 1);
      Repo repo = repos.get(repoAndPath.substring(0, slash));
      String path = repoAndPath.substring(slash + 1);
      serveRaw(socket.getOutputStream(), headers.get("range"), path, repo.files.get(path));
    } catch (IOException e) {
      // The client went away.
    }
  }

  /** Serves a body over a raw socket with byte ranges and every injected fault. */
  private void serveRaw(OutputStream out, String range, String path, byte[] content)
      throws IOException {
    byte[] body = content;
    AtomicInteger corruptions = corrupt.get(path);
    if (corruptions != null && corruptions.getAndDecrement() > 0) {
      body = content.clone();
      body[body.length / 2] ^= 0x5a;
    }
    int from = 0;
    StringBuilder head = new StringBuilder();
    if (range != null && range.startsWith("bytes=") && range.endsWith("-")) {
      from = Integer.parseInt(range.substring(6, range.length() - 1));
      if (from >= body.length) {
        out.write(
            ("HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */"
                    + body.length
                    + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        return;
      }
      head.append("HTTP/1.1 206 Partial Content\r\nContent-Range: bytes ")
          .append(from)
          .append('-')
          .append(body.length - 1)
          .append('/')
          .append(body.length)
          .append("\r\n");
    } else {
      head.append("HTTP/1.1 200 OK\r\n");
    }
    head.append("Content-Length: ")
        .append(body.length - from)
        .append("\r\nConnection: close\r\n\r\n");
    out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    int[] cut = cuts.get(path);
    if (cut != null && cut[1] > 0) {
      cut[1]--;
      out.write(body, from, Math.min(cut[0], body.length - from));
      out.flush();
      return; // the socket closes: the client sees the body end early
    }
    Integer stallAfter = stalls.remove(path);
    if (stallAfter != null) {
      out.write(body, from, Math.min(stallAfter, body.length - from));
      out.flush();
      try {
        closed.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return;
    }
    out.write(body, from, body.length - from);
    out.flush();
  }

  /** Serves a small file from the hub itself, with byte ranges and corruption. */
  private void serve(HttpExchange ex, String path, byte[] content) throws IOException {
    byte[] body = content;
    AtomicInteger corruptions = corrupt.get(path);
    if (corruptions != null && corruptions.getAndDecrement() > 0) {
      body = content.clone();
      body[body.length / 2] ^= 0x5a;
    }
    int from = 0;
    String range = ex.getRequestHeaders().getFirst("Range");
    if (range != null && range.startsWith("bytes=") && range.endsWith("-")) {
      from = Integer.parseInt(range.substring(6, range.length() - 1));
      if (from >= body.length) {
        ex.getResponseHeaders().set("Content-Range", "bytes */" + body.length);
        ex.sendResponseHeaders(416, -1);
        return;
      }
      ex.getResponseHeaders()
          .set("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
      ex.sendResponseHeaders(206, body.length - from);
    } else {
      ex.sendResponseHeaders(200, body.length);
    }
    ex.getResponseBody().write(body, from, body.length - from);
  }

  private boolean authorized(HttpExchange ex) {
    return ("Bearer " + acceptedToken).equals(ex.getRequestHeaders().getFirst("Authorization"));
  }

  private static void error(HttpExchange ex, int status, String code, String message)
      throws IOException {
    if (!code.isEmpty()) {
      ex.getResponseHeaders().set("X-Error-Code", code);
    }
    ex.getResponseHeaders().set("X-Error-Message", message);
    byte[] body = ("{\"error\":\"" + message + "\"}").getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(status, body.length);
    ex.getResponseBody().write(body);
  }

  static String sha256(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static String gitBlob(byte[] content) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-1");
      md.update(("blob " + content.length + "\0").getBytes(StandardCharsets.US_ASCII));
      return HexFormat.of().formatHex(md.digest(content));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    closed.countDown();
    hub.stop(0);
    try {
      cdn.close();
    } catch (IOException ignored) {
      // Closing a test server.
    }
  }
}
