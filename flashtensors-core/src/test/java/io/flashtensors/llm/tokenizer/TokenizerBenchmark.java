package io.flashtensors.llm.tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Tokenizer throughput, single thread: encode without the pre-token cache (every word through BPE)
 * and with a warm cache (a server's steady state), decode, streaming decode, and load time. Not a
 * test; run it with scripts/bench/tokenizer.sh (or its main) and note the numbers in
 * docs/benchmarks.md.
 *
 * <p>Arguments: {@code [TOKENIZER.json(.gz)] [TEXT_FILE]}; by default the committed Qwen3 tokenizer
 * and the documents of the parity corpus (prose, code, unicode, white space, chat).
 */
public final class TokenizerBenchmark {

  private static final int RUNS = 7;

  private TokenizerBenchmark() {}

  public static void main(String[] args) throws IOException {
    Path tokenizerPath = args.length > 0 ? Path.of(args[0]) : Qwen3TokenizerFiles.tokenizerJson();
    String text = args.length > 1 ? Files.readString(Path.of(args[1])) : corpusDocuments();
    int bytes = text.getBytes(StandardCharsets.UTF_8).length;

    long t0 = System.nanoTime();
    Tokenizer cached = Tokenizer.load(tokenizerPath);
    double loadSeconds = (System.nanoTime() - t0) / 1e9;
    Tokenizer uncached =
        TokenizerJsonReader.read(TokenizerFiles.locate(tokenizerPath).tokenizerJson(), 0);

    int[] ids = cached.encode(text);
    if (!Arrays.equals(ids, uncached.encode(text))) {
      throw new IllegalStateException("cached and uncached encodings differ");
    }
    for (int i = 0; i < 3; i++) { // JIT warm-up on the same work
      uncached.encode(text);
      cached.encode(text);
      cached.decode(ids);
    }
    double[] encodeCold = time(() -> uncached.encode(text));
    double[] encodeWarm = time(() -> cached.encode(text));
    double[] decode = time(() -> cached.decode(ids));
    double[] stream =
        time(
            () -> {
              StreamingDecoder d = cached.newStreamingDecoder(false);
              StringBuilder out = new StringBuilder(text.length());
              for (int id : ids) {
                out.append(d.push(id));
              }
              out.append(d.finish());
              return out;
            });

    System.out.printf(
        Locale.ROOT,
        "java %s, %s, %d cores%n",
        System.getProperty("java.version"),
        System.getProperty("os.arch"),
        Runtime.getRuntime().availableProcessors());
    System.out.printf(
        Locale.ROOT, "text: %d bytes, %d chars, %d tokens%n", bytes, text.length(), ids.length);
    System.out.printf(Locale.ROOT, "load tokenizer.json (first, cold JIT): %.2f s%n", loadSeconds);
    report("encode, no cache (every word through BPE)", encodeCold, bytes, ids.length);
    report("encode, warm cache", encodeWarm, bytes, ids.length);
    report("decode", decode, bytes, ids.length);
    report("streaming decode, one id at a time", stream, bytes, ids.length);
  }

  private static void report(String what, double[] seconds, int bytes, int tokens) {
    double median = seconds[seconds.length / 2];
    System.out.printf(
        Locale.ROOT,
        "%-44s median %7.2f MB/s %9.0f tokens/s  (min %.2f, max %.2f MB/s over %d runs)%n",
        what,
        bytes / median / 1e6,
        tokens / median,
        bytes / seconds[seconds.length - 1] / 1e6,
        bytes / seconds[0] / 1e6,
        seconds.length);
  }

  private static double[] time(java.util.function.Supplier<Object> work) {
    double[] seconds = new double[RUNS];
    for (int i = 0; i < RUNS; i++) {
      long t0 = System.nanoTime();
      Object result = work.get();
      seconds[i] = (System.nanoTime() - t0) / 1e9;
      if (result == null) {
        throw new IllegalStateException();
      }
    }
    Arrays.sort(seconds);
    return seconds;
  }

  /** The parity corpus's documents, joined: about 140 kB of mixed text. */
  static String corpusDocuments() throws IOException {
    try (InputStream in =
        TokenizerBenchmark.class.getResourceAsStream("/reference/tokenizer-corpus.json")) {
      JsonNode corpus = JsonMapper.builder().build().readTree(in);
      StringBuilder text = new StringBuilder();
      for (JsonNode doc : corpus.get("documents")) {
        text.append(doc.get("text").stringValue()).append("\n\n");
      }
      return text.toString();
    }
  }
}
