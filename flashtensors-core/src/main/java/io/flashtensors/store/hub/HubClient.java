package io.flashtensors.store.hub;

import io.flashtensors.store.ModelId;
import io.flashtensors.store.hub.HubException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Executors;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The parts of the Hugging Face Hub's HTTP API that a pull needs, with the Hub's own URL layout:
 *
 * <ul>
 *   <li>{@code GET {endpoint}/api/models/{id}/revision/{revision}?blobs=true}: the commit and the
 *       files with sizes, git blob ids and LFS SHA-256s;
 *   <li>{@code GET {endpoint}/{id}/resolve/{commit}/{path}}: a file, usually a redirect to a CDN
 *       that serves byte ranges.
 * </ul>
 *
 * The token goes only to the endpoint's host, never along a redirect to another host. Failures
 * become a {@link HubException} whose message names the repository and what to do (401 and gated
 * repositories mention {@code HF_TOKEN}).
 */
public final class HubClient implements AutoCloseable {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final int MAX_REDIRECTS = 10;

  private final URI endpoint;
  private final Optional<String> token;
  private final RetryPolicy retry;
  private final HttpClient http;

  /**
   * @param endpoint base URL of the Hub ({@code https://huggingface.co} or {@code HF_ENDPOINT})
   * @param token access token for private and gated repositories
   * @param retry how often and how long to retry transient failures
   */
  public HubClient(String endpoint, Optional<String> token, RetryPolicy retry) {
    this.endpoint = URI.create(endpoint.endsWith("/") ? endpoint : endpoint + "/");
    this.token = token.filter(t -> !t.isBlank());
    this.retry = retry;
    this.http =
        HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(15))
            .executor(Executors.newVirtualThreadPerTaskExecutor())
            .build();
  }

  /** The endpoint, without the trailing slash. */
  public String endpoint() {
    String e = endpoint.toString();
    return e.substring(0, e.length() - 1);
  }

  /** Whether a token is sent. */
  public boolean hasToken() {
    return token.isPresent();
  }

  /** The retry policy downloads follow too. */
  public RetryPolicy retryPolicy() {
    return retry;
  }

  /**
   * The commit and files of a model repository at a revision.
   *
   * @throws HubException for 401/403/404, no network, or a malformed answer
   */
  public RepoInfo modelInfo(ModelId id, String revision) {
    URI uri =
        endpoint.resolve(
            "api/models/"
                + id.org()
                + "/"
                + id.name()
                + "/revision/"
                + URLEncoder.encode(revision, StandardCharsets.UTF_8)
                + "?blobs=true");
    String what = id + "@" + revision;
    HttpResponse<byte[]> response = null;
    for (int attempt = 1; ; attempt++) {
      try {
        response = send(uri, -1, HttpResponse.BodyHandlers.ofByteArray(), what);
        if (response.statusCode() == 200) {
          break;
        }
        HubException failure = failure(response.statusCode(), response.headers(), id, what, uri);
        if (!failure.transientFailure() || attempt >= retry.attempts()) {
          throw failure;
        }
        retry.sleepBefore(attempt + 1, response.headers().firstValue("Retry-After"));
      } catch (IOException e) {
        if (attempt >= retry.attempts()) {
          throw networkFailure(e, uri);
        }
        retry.sleepBefore(attempt + 1, Optional.empty());
      }
    }
    return parseInfo(response.body(), id, revision, uri);
  }

  /**
   * Opens a file of a repository at a commit, from a byte offset on.
   *
   * @param fromByte where to start; a server that ignores the range starts at 0 (see {@link
   *     Opened#offset()})
   * @throws HubException for answers that retrying cannot fix (401, 403, 404)
   * @throws IOException for network failures and 5xx/429 answers (the caller retries)
   */
  public Opened open(ModelId id, String commit, String path, long fromByte) throws IOException {
    StringBuilder p = new StringBuilder();
    for (String segment : path.split("/")) {
      p.append('/').append(URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20"));
    }
    URI uri = endpoint.resolve(id.org() + "/" + id.name() + "/resolve/" + commit + p);
    String what = id + "@" + commit.substring(0, Math.min(7, commit.length())) + " " + path;
    HttpResponse<InputStream> response =
        send(uri, fromByte, HttpResponse.BodyHandlers.ofInputStream(), what);
    int status = response.statusCode();
    if (status == 200) {
      return new Opened(
          response.body(), 0, response.headers().firstValueAsLong("Content-Length").orElse(-1));
    }
    if (status == 206) {
      long start = rangeStart(response.headers().firstValue("Content-Range").orElse(""));
      if (start != fromByte) {
        response.body().close();
        throw new IOException(
            what + ": asked for bytes from " + fromByte + ", the server sent from " + start);
      }
      return new Opened(response.body(), start, -1);
    }
    response.body().close();
    if (status == 416) {
      return new Opened(InputStream.nullInputStream(), fromByte, 0);
    }
    HubException failure = failure(status, response.headers(), id, what, uri);
    if (failure.transientFailure()) {
      throw new TransientHttpException(
          failure.getMessage(), response.headers().firstValue("Retry-After"));
    }
    throw failure;
  }

  /** A file's body from {@code offset} on; {@code length} is -1 when the server did not say. */
  public record Opened(InputStream body, long offset, long length) {}

  /** A 5xx or 429 answer to a download: retried like a network failure. */
  public static final class TransientHttpException extends IOException {
    private static final long serialVersionUID = 1L;
    private final transient Optional<String> retryAfter;

    TransientHttpException(String message, Optional<String> retryAfter) {
      super(message);
      this.retryAfter = retryAfter;
    }

    /** The server's Retry-After header, if any. */
    public Optional<String> retryAfter() {
      return retryAfter == null ? Optional.empty() : retryAfter;
    }
  }

  /** Sends a GET, following redirects by hand so that the token never leaves the Hub's host. */
  private <T> HttpResponse<T> send(
      URI uri, long fromByte, HttpResponse.BodyHandler<T> handler, String what) throws IOException {
    URI current = uri;
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(current)
              .timeout(Duration.ofSeconds(60))
              .header("User-Agent", userAgent())
              .header("Accept-Encoding", "identity");
      if (fromByte > 0) {
        request.header("Range", "bytes=" + fromByte + "-");
      }
      if (token.isPresent() && sameOrigin(current, endpoint)) {
        request.header("Authorization", "Bearer " + token.get());
      }
      HttpResponse<T> response;
      try {
        response = http.send(request.GET().build(), handler);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(what + ": interrupted", e);
      }
      int status = response.statusCode();
      if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
        Optional<String> location = response.headers().firstValue("Location");
        discard(response.body());
        if (location.isEmpty()) {
          throw new IOException(what + ": redirect " + status + " without a Location");
        }
        current = current.resolve(location.get());
        continue;
      }
      return response;
    }
    throw new IOException(what + ": more than " + MAX_REDIRECTS + " redirects");
  }

  private static void discard(Object body) {
    if (body instanceof InputStream in) {
      try {
        in.close();
      } catch (IOException ignored) {
        // An unread redirect body.
      }
    }
  }

  private static boolean sameOrigin(URI a, URI b) {
    return a.getHost() != null
        && a.getHost().equalsIgnoreCase(b.getHost())
        && a.getPort() == b.getPort()
        && a.getScheme().equalsIgnoreCase(b.getScheme());
  }

  private static String userAgent() {
    String v = HubClient.class.getPackage().getImplementationVersion();
    return "flashtensors/" + (v == null ? "dev" : v) + "; java/" + Runtime.version().feature();
  }

  private static long rangeStart(String contentRange) throws IOException {
    // "bytes 100-199/200"
    String s = contentRange.trim().toLowerCase(Locale.ROOT);
    if (!s.startsWith("bytes ") || s.indexOf('-') < 0) {
      throw new IOException("malformed Content-Range '" + contentRange + "'");
    }
    try {
      return Long.parseLong(s.substring(6, s.indexOf('-')).trim());
    } catch (NumberFormatException e) {
      throw new IOException("malformed Content-Range '" + contentRange + "'", e);
    }
  }

  private RepoInfo parseInfo(byte[] body, ModelId id, String revision, URI uri) {
    try {
      JsonNode root = JSON.readTree(body);
      String commit = root.path("sha").asString("");
      if (!commit.matches("[0-9a-f]{40}")) {
        throw new HubException(
            Kind.SERVER, uri + " answered without a commit sha: is " + endpoint() + " a Hub?");
      }
      List<HubFile> files = new ArrayList<>();
      for (JsonNode s : root.path("siblings")) {
        String path = s.path("rfilename").asString("");
        if (path.isEmpty()) {
          continue;
        }
        JsonNode lfs = s.get("lfs");
        String sha256 = lfs == null || lfs.isNull() ? null : lfs.path("sha256").asString(null);
        long size = s.path("size").asLong(lfs == null ? -1 : lfs.path("size").asLong(-1));
        files.add(new HubFile(path, size, s.path("blobId").asString(""), sha256));
      }
      JsonNode gated = root.path("gated");
      boolean isGated = gated.isString() || gated.asBoolean(false);
      return new RepoInfo(root.path("id").asString(id.toString()), commit, files, isGated);
    } catch (JacksonException e) {
      throw new HubException(
          Kind.SERVER, uri + " did not answer JSON (" + e.getOriginalMessage() + ")", e);
    }
  }

  /** Turns an error status into the message a user can act on. */
  HubException failure(
      int status, java.net.http.HttpHeaders headers, ModelId id, String what, URI uri) {
    String code = headers.firstValue("X-Error-Code").orElse("");
    String serverMessage = headers.firstValue("X-Error-Message").orElse("");
    String detail = serverMessage.isEmpty() ? "" : " (" + serverMessage + ")";
    String repoUrl = endpoint() + "/" + id;
    if (code.equals("GatedRepo")) {
      return new HubException(
          Kind.GATED,
          id
              + " is a gated repository: accept its terms at "
              + repoUrl
              + (token.isPresent()
                  ? " with the account of your token"
                  : " and set HF_TOKEN (or --token) to a token of that account"));
    }
    if (code.equals("RevisionNotFound")) {
      return new HubException(
          Kind.NOT_FOUND, what + ": no such revision on " + endpoint() + detail);
    }
    if (code.equals("EntryNotFound")) {
      return new HubException(Kind.NOT_FOUND, what + ": no such file on " + endpoint() + detail);
    }
    if (status == 401) {
      return new HubException(
          Kind.UNAUTHORIZED,
          token.isPresent()
              ? what
                  + ": 401 Unauthorized: the token was refused or has no access (private, gated or"
                  + " missing repository)"
                  + detail
              : what
                  + ": 401 Unauthorized: the repository is private, gated or does not exist; set"
                  + " HF_TOKEN (or --token) to a token with access"
                  + detail);
    }
    if (status == 403) {
      return new HubException(
          Kind.FORBIDDEN,
          what
              + ": 403 Forbidden"
              + detail
              + (token.isPresent()
                  ? ""
                  : "; set HF_TOKEN (or --token) if the repository is private"));
    }
    if (status == 404 || code.equals("RepoNotFound")) {
      return new HubException(
          Kind.NOT_FOUND,
          code.equals("RepoNotFound") || uri.getPath().contains("/api/models/")
              ? "no model " + id + " on " + endpoint() + detail
              : what + ": 404 Not Found" + detail);
    }
    if (status == 429 || status >= 500) {
      return new HubException(Kind.SERVER, what + ": the Hub answered " + status + detail);
    }
    return new HubException(Kind.SERVER, what + ": unexpected answer " + status + detail);
  }

  /** A network failure in words: which host could not be reached and why. */
  HubException networkFailure(IOException e, URI uri) {
    String host = uri.getScheme() + "://" + uri.getAuthority();
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String why;
    if (e instanceof HttpConnectTimeoutException) {
      why = "the connection timed out";
    } else if (e instanceof HttpTimeoutException) {
      why = "the request timed out";
    } else if (root instanceof UnresolvedAddressException
        || root instanceof java.net.UnknownHostException) {
      why = "the host name does not resolve (no network or DNS?)";
    } else if (e instanceof ConnectException || root instanceof ConnectException) {
      why = "the connection was refused or the network is unreachable";
    } else {
      why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
    return new HubException(
        Kind.NETWORK, "cannot reach " + host + ": " + why + " (set HF_ENDPOINT for a mirror)", e);
  }

  @Override
  public void close() {
    http.close();
  }
}
