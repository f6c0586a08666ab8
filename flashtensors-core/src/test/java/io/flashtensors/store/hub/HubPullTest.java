package io.flashtensors.store.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flashtensors.store.CopyingConverter;
import io.flashtensors.store.ModelId;
import io.flashtensors.store.ModelStore;
import io.flashtensors.store.Progress;
import io.flashtensors.store.StoredModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class HubPullTest {

  static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
  static final RetryPolicy FAST = new RetryPolicy(4, Duration.ofMillis(5), Duration.ofMillis(20));

  /**
   * Stall timeout of the pulls: long enough that a busy machine never makes a healthy transfer look
   * stalled (that would add range requests the tests count); the stall test sets its own.
   */
  static final Duration NO_STALL = Duration.ofSeconds(30);

  @TempDir Path temp;
  FakeHub hub;
  ModelStore store;
  CopyingConverter converter = new CopyingConverter();
  byte[] shard1;
  byte[] shard2;

  @BeforeEach
  void setUp() throws IOException {
    hub = new FakeHub();
    store = ModelStore.open(temp.resolve("store"));
    Random random = new Random(42);
    shard1 = new byte[300_000];
    shard2 = new byte[200_000];
    random.nextBytes(shard1);
    random.nextBytes(shard2);
    hub.add("Qwen/Tiny", COMMIT)
        .file("config.json", utf8("{\"architectures\":[\"Qwen3ForCausalLM\"]}"), false)
        .file("generation_config.json", utf8("{}"), false)
        .file("tokenizer.json", utf8("{\"model\":{}}"), false)
        .file("tokenizer_config.json", utf8("{}"), false)
        .file("README.md", utf8("# Tiny"), false)
        .file(
            "model.safetensors.index.json",
            utf8(
                "{\"metadata\":{},\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\","
                    + "\"b\":\"model-00002-of-00002.safetensors\",\"c\":\"model-00001-of-00002.safetensors\"}}"),
            false)
        .file("model-00001-of-00002.safetensors", shard1, true)
        .file("model-00002-of-00002.safetensors", shard2, true)
        .file("consolidated.safetensors", new byte[1000], true)
        .file("pytorch_model.bin", new byte[1000], true)
        .file("onnx/model.onnx", new byte[10], true);
  }

  @AfterEach
  void tearDown() {
    hub.close();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private HubPull pull(Optional<String> token) {
    return pull(token, NO_STALL);
  }

  private HubPull pull(Optional<String> token, Duration stallTimeout) {
    return new HubPull(new HubClient(hub.endpoint(), token, FAST), store, converter, stallTimeout);
  }

  private HubPull.Result pullTiny(HubPull.Options options) {
    return pull(Optional.empty()).pull(ModelId.parse("Qwen/Tiny"), options, Progress.NONE);
  }

  @Test
  void pullShouldFetchOnlyNeededFilesVerifyAndConvertIntoStore() throws IOException {
    AtomicLong lastDone = new AtomicLong();
    AtomicLong lastTotal = new AtomicLong();
    HubPull.Result result =
        pull(Optional.empty())
            .pull(
                ModelId.parse("Qwen/Tiny"),
                HubPull.Options.defaults(),
                (stage, done, total) -> {
                  if (stage.equals("download")) {
                    lastDone.set(done);
                    lastTotal.set(total);
                  }
                });

    StoredModel m = result.model();
    assertThat(result.upToDate()).isFalse();
    assertThat(m.id()).isEqualTo("Qwen/Tiny");
    assertThat(m.revision()).isEqualTo("main");
    assertThat(m.commit()).isEqualTo(COMMIT);
    assertThat(m.source()).isEqualTo("hf://Qwen/Tiny@" + COMMIT);
    Path folder = store.folder(m);
    assertThat(folder.resolve("model-00001-of-00002.safetensors")).hasBinaryContent(shard1);
    assertThat(folder.resolve("model-00002-of-00002.safetensors")).hasBinaryContent(shard2);
    assertThat(folder.resolve("config.json")).exists();
    assertThat(folder.resolve("consolidated.safetensors")).doesNotExist();
    assertThat(folder.resolve("pytorch_model.bin")).doesNotExist();
    assertThat(hub.requestsFor("README.md")).isZero();
    assertThat(hub.requestsFor("consolidated.safetensors")).isZero();
    assertThat(hub.requestsFor("pytorch_model.bin")).isZero();
    assertThat(lastDone.get()).isEqualTo(lastTotal.get()).isGreaterThan(500_000);
    assertThat(result.downloadedBytes()).isEqualTo(lastTotal.get());
    // The downloads are gone once converted.
    assertThat(store.root().resolve(".downloads/Qwen/Tiny/" + COMMIT)).doesNotExist();
  }

  @Test
  void pullWhenSameCommitIsStoredShouldDownloadNothing() {
    pullTiny(HubPull.Options.defaults());
    int before = hub.seen.size();

    HubPull.Result again = pullTiny(HubPull.Options.defaults());

    assertThat(again.upToDate()).isTrue();
    assertThat(hub.seen.size()).as("only the model-info request").isEqualTo(before + 1);
    assertThat(converter.calls).isEqualTo(1);
  }

  @Test
  void pullWithKeepSafetensorsShouldKeepTheSourceBesideTheModel() throws IOException {
    HubPull.Result r = pullTiny(new HubPull.Options("main", true, false, 4));
    Path kept = store.folder(r.model()).resolve("safetensors");
    assertThat(kept.resolve("model-00001-of-00002.safetensors")).hasBinaryContent(shard1);
    assertThat(kept.resolve("model.safetensors.index.json")).exists();
    assertThat(r.model().keptSource()).isTrue();
  }

  @Test
  void pullWhenConnectionIsCutShouldResumeWithARangeRequest() throws IOException {
    hub.cuts.put("model-00001-of-00002.safetensors", new int[] {100_000, 1});

    HubPull.Result r = pullTiny(HubPull.Options.defaults());

    assertThat(store.folder(r.model()).resolve("model-00001-of-00002.safetensors"))
        .hasBinaryContent(shard1);
    String sha = FakeHub.sha256(shard1);
    List<String> ranges =
        hub.seenOn("cdn").stream()
            .filter(s -> s.path().contains(sha))
            .map(FakeHub.Seen::range)
            .toList();
    assertThat(ranges).hasSize(2);
    assertThat(ranges.get(0)).isNull();
    assertThat(ranges.get(1)).startsWith("bytes=").endsWith("-").isNotEqualTo("bytes=0-");
  }

  @Test
  void pullWhenInterruptedShouldResumeInTheNextRun() throws IOException {
    // First run: every try of shard 1 is cut after 120 kB, so the pull gives up.
    hub.cuts.put("model-00001-of-00002.safetensors", new int[] {120_000, 100});
    HubPull oneTry =
        new HubPull(
            new HubClient(
                hub.endpoint(), Optional.empty(), new RetryPolicy(1, Duration.ZERO, Duration.ZERO)),
            store,
            converter);
    assertThatThrownBy(
            () ->
                oneTry.pull(ModelId.parse("Qwen/Tiny"), HubPull.Options.defaults(), Progress.NONE))
        .isInstanceOf(HubException.class);
    assertThat(store.list()).isEmpty();
    Path partial =
        store
            .root()
            .resolve(
                ".downloads/Qwen/Tiny/" + COMMIT + "/model-00001-of-00002.safetensors.incomplete");
    assertThat(partial).exists();
    // What arrived before the cut (the client may drop the last buffered bytes of a broken stream).
    long kept = Files.size(partial);
    assertThat(kept).isBetween(1L, 120_000L);

    // Second run: the network is fine again.
    hub.cuts.clear();
    HubPull.Result r = pullTiny(HubPull.Options.defaults());

    assertThat(store.folder(r.model()).resolve("model-00001-of-00002.safetensors"))
        .hasBinaryContent(shard1);
    String sha = FakeHub.sha256(shard1);
    assertThat(hub.seenOn("cdn"))
        .filteredOn(s -> s.path().contains(sha))
        .last()
        .extracting(FakeHub.Seen::range)
        .isEqualTo("bytes=" + kept + "-");
  }

  @Test
  @Timeout(120) // the stalled response never ends: only an aborted and resumed transfer finishes
  void pullWhenTransferStallsShouldAbortAndResume() throws IOException {
    hub.stalls.put("model-00002-of-00002.safetensors", 50_000);

    HubPull.Result r =
        pull(Optional.empty(), Duration.ofMillis(400))
            .pull(ModelId.parse("Qwen/Tiny"), HubPull.Options.defaults(), Progress.NONE);

    assertThat(store.folder(r.model()).resolve("model-00002-of-00002.safetensors"))
        .hasBinaryContent(shard2);
    String sha = FakeHub.sha256(shard2);
    List<String> ranges =
        hub.seenOn("cdn").stream()
            .filter(s -> s.path().contains(sha))
            .map(FakeHub.Seen::range)
            .toList();
    assertThat(ranges).as("requests of the stalled file").hasSizeGreaterThanOrEqualTo(2);
    assertThat(ranges.getFirst()).isNull();
    assertThat(ranges.getLast()).as("resumed with a range").matches("bytes=[1-9][0-9]*-");
  }

  @Test
  void pullWhenFileArrivesCorruptedOnceShouldDownloadItAgain() throws IOException {
    hub.corrupt.put("model-00002-of-00002.safetensors", new AtomicInteger(1));

    HubPull.Result r = pullTiny(HubPull.Options.defaults());

    assertThat(store.folder(r.model()).resolve("model-00002-of-00002.safetensors"))
        .hasBinaryContent(shard2);
  }

  @Test
  void pullWhenFileIsAlwaysCorruptedShouldFailAndKeepNothing() throws IOException {
    hub.corrupt.put("model-00002-of-00002.safetensors", new AtomicInteger(1000));

    assertThatThrownBy(() -> pullTiny(HubPull.Options.defaults()))
        .isInstanceOf(HubException.class)
        .hasMessageContaining("model-00002-of-00002.safetensors: sha256 mismatch")
        .hasMessageContaining("expected " + FakeHub.sha256(shard2))
        .extracting(e -> ((HubException) e).kind())
        .isEqualTo(HubException.Kind.INTEGRITY);
    assertThat(store.list()).isEmpty();
    try (Stream<Path> files = Files.walk(store.root().resolve(".downloads"))) {
      assertThat(files.map(Path::toString))
          .noneMatch(p -> p.endsWith("model-00002-of-00002.safetensors"))
          .noneMatch(p -> p.endsWith("model-00002-of-00002.safetensors.incomplete"));
    }
  }

  @Test
  void pullWhenSmallGitFileIsCorruptedShouldCatchItByBlobId() {
    hub.corrupt.put("config.json", new AtomicInteger(1000));
    assertThatThrownBy(() -> pullTiny(HubPull.Options.defaults()))
        .hasMessageContaining("config.json: git blob sha1 mismatch");
  }

  @Test
  void pullWhenHubAnswers503ShouldRetryWithBackoff() {
    hub.infoFailures.set(2);
    HubPull.Result r = pullTiny(HubPull.Options.defaults());
    assertThat(r.model().commit()).isEqualTo(COMMIT);
    assertThat(hub.requestsFor("/revision/main")).isEqualTo(3);
  }

  @Test
  void pullWhenRepositoryIsPrivateShouldMentionHfTokenAndWorkWithIt() {
    hub.repos.get("Qwen/Tiny").privateRepo = true;

    assertThatThrownBy(() -> pullTiny(HubPull.Options.defaults()))
        .isInstanceOf(HubException.class)
        .hasMessageContaining("401 Unauthorized")
        .hasMessageContaining("private, gated or does not exist")
        .hasMessageContaining("HF_TOKEN");

    assertThatThrownBy(
            () ->
                pull(Optional.of("hf_wrong"))
                    .pull(ModelId.parse("Qwen/Tiny"), HubPull.Options.defaults(), Progress.NONE))
        .hasMessageContaining("the token was refused or has no access");

    HubPull.Result r =
        pull(Optional.of("hf_valid"))
            .pull(ModelId.parse("Qwen/Tiny"), HubPull.Options.defaults(), Progress.NONE);
    assertThat(r.model().id()).isEqualTo("Qwen/Tiny");
    assertThat(hub.seenOn("hub"))
        .extracting(FakeHub.Seen::authorization)
        .contains("Bearer hf_valid");
    assertThat(hub.seenOn("cdn"))
        .as("the token never follows a redirect to another host")
        .isNotEmpty()
        .allMatch(s -> s.authorization() == null);
  }

  @Test
  void pullWhenRepositoryIsGatedShouldSaySoAndHowToGetAccess() {
    hub.repos.get("Qwen/Tiny").gated = true;
    assertThatThrownBy(() -> pullTiny(HubPull.Options.defaults()))
        .isInstanceOf(HubException.class)
        .hasMessageContaining(
            "Qwen/Tiny is a gated repository: accept its terms at " + hub.endpoint() + "/Qwen/Tiny")
        .hasMessageContaining("HF_TOKEN")
        .extracting(e -> ((HubException) e).kind())
        .isEqualTo(HubException.Kind.GATED);
  }

  @Test
  void pullWhenModelOrRevisionIsMissingShouldSay404() {
    assertThatThrownBy(
            () ->
                pull(Optional.of("hf_valid"))
                    .pull(
                        ModelId.parse("nobody/nothing"), HubPull.Options.defaults(), Progress.NONE))
        .isInstanceOf(HubException.class)
        .hasMessageContaining("nobody/nothing");
    assertThatThrownBy(() -> pullTiny(new HubPull.Options("v9", false, false, 2)))
        .hasMessageContaining("Qwen/Tiny@v9: no such revision");
  }

  @Test
  void pullWhenHubIsUnreachableShouldSayCannotReach() {
    HubPull offline =
        new HubPull(new HubClient("http://127.0.0.1:1", Optional.empty(), FAST), store, converter);
    assertThatThrownBy(
            () ->
                offline.pull(ModelId.parse("Qwen/Tiny"), HubPull.Options.defaults(), Progress.NONE))
        .isInstanceOf(HubException.class)
        .hasMessageStartingWith("cannot reach http://127.0.0.1:1")
        .extracting(e -> ((HubException) e).kind())
        .isEqualTo(HubException.Kind.NETWORK);
  }

  @Test
  void pullWhenRepositoryHasNoSafetensorsShouldSaySo() {
    hub.add("old/bin", COMMIT)
        .file("config.json", utf8("{}"), false)
        .file("pytorch_model.bin", new byte[10], true);
    assertThatThrownBy(
            () ->
                pull(Optional.empty())
                    .pull(ModelId.parse("old/bin"), HubPull.Options.defaults(), Progress.NONE))
        .hasMessageContaining("has no .safetensors weights")
        .hasMessageContaining("pytorch_model.bin");
  }

  @Test
  void pullWhenIndexNamesAMissingShardShouldSaySo() {
    hub.add("bad/index", COMMIT)
        .file(
            "model.safetensors.index.json",
            utf8("{\"weight_map\":{\"a\":\"model-00009-of-00009.safetensors\"}}"),
            false);
    assertThatThrownBy(
            () ->
                pull(Optional.empty())
                    .pull(ModelId.parse("bad/index"), HubPull.Options.defaults(), Progress.NONE))
        .hasMessageContaining("names model-00009-of-00009.safetensors, which the repository lacks");
  }

  @Test
  void pullWhenIndexNamesAPathOutsideShouldRefuseIt() {
    hub.add("bad/escape", COMMIT)
        .file(
            "model.safetensors.index.json",
            utf8("{\"weight_map\":{\"a\":\"../../evil.safetensors\"}}"),
            false);
    assertThatThrownBy(
            () ->
                pull(Optional.empty())
                    .pull(ModelId.parse("bad/escape"), HubPull.Options.defaults(), Progress.NONE))
        .hasMessageContaining("outside the repository root");
  }
}
