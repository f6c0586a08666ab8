package io.flashtensors.spring.testing;

import io.flashtensors.llm.ChatEngine;
import io.flashtensors.llm.ChatRequest;
import io.flashtensors.llm.ChatResult;
import io.flashtensors.llm.FinishReason;
import io.flashtensors.llm.GenerationTimings;
import io.flashtensors.llm.ModelDescriptor;
import io.flashtensors.llm.TokenListener;
import io.flashtensors.llm.TokenListener.PieceKind;
import io.flashtensors.llm.ToolCall;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A scripted {@link ChatEngine}: answers each request with the pieces its script returns, through
 * the listener, and records what it was asked. It also records how many requests overlapped, so
 * tests can see whether callers were serialized.
 */
public final class FakeChatEngine implements ChatEngine {

  /** One piece of output. */
  public record Piece(String text, PieceKind kind) {

    public static Piece content(String text) {
      return new Piece(text, PieceKind.CONTENT);
    }

    public static Piece reasoning(String text) {
      return new Piece(text, PieceKind.REASONING);
    }

    public static Piece toolMarkup(String text) {
      return new Piece(text, PieceKind.TOOL_CALL);
    }
  }

  /** What to answer: pieces and tool calls. */
  public record Answer(List<Piece> pieces, List<ToolCall> toolCalls) {

    public static Answer of(Piece... pieces) {
      return new Answer(List.of(pieces), List.of());
    }

    public static Answer words(String text) {
      List<Piece> pieces = new ArrayList<>();
      for (String word : text.split("(?<= )")) {
        pieces.add(Piece.content(word));
      }
      return new Answer(pieces, List.of());
    }
  }

  private final ModelDescriptor descriptor;
  private final Function<ChatRequest, Answer> script;
  private final int maxConcurrentRequests;
  private final List<ChatRequest> requests = new CopyOnWriteArrayList<>();
  private final AtomicInteger active = new AtomicInteger();
  private final AtomicInteger maxActive = new AtomicInteger();
  private final AtomicInteger piecesEmitted = new AtomicInteger();
  private volatile CountDownLatch gate;
  private volatile CountDownLatch started = new CountDownLatch(0);
  private volatile boolean closed;
  private volatile FinishReason lastFinishReason;

  public FakeChatEngine(Function<ChatRequest, Answer> script) {
    this("test/tiny-qwen3", 1, script);
  }

  public FakeChatEngine(
      String id, int maxConcurrentRequests, Function<ChatRequest, Answer> script) {
    this.descriptor = new ModelDescriptor(id, "Qwen3ForCausalLM", "cpu", 4096, 1234L, 0.25);
    this.maxConcurrentRequests = maxConcurrentRequests;
    this.script = script;
  }

  /** Makes the next requests block, after announcing they started, until {@link #release()}. */
  public void hold(int expectedStarts) {
    this.gate = new CountDownLatch(1);
    this.started = new CountDownLatch(expectedStarts);
  }

  public boolean awaitStarted() throws InterruptedException {
    return this.started.await(10, TimeUnit.SECONDS);
  }

  public void release() {
    CountDownLatch current = this.gate;
    if (current != null) {
      current.countDown();
    }
  }

  @Override
  public ModelDescriptor descriptor() {
    return this.descriptor;
  }

  @Override
  public int maxConcurrentRequests() {
    return this.maxConcurrentRequests;
  }

  @Override
  public ChatResult chat(ChatRequest request, TokenListener listener) {
    if (this.closed) {
      throw new IllegalStateException("engine closed");
    }
    this.requests.add(request);
    int now = this.active.incrementAndGet();
    this.maxActive.accumulateAndGet(now, Math::max);
    try {
      this.started.countDown();
      CountDownLatch current = this.gate;
      if (current != null) {
        current.await(30, TimeUnit.SECONDS);
      }
      Answer answer = this.script.apply(request);
      StringBuilder content = new StringBuilder();
      StringBuilder reasoning = new StringBuilder();
      FinishReason finish =
          answer.toolCalls().isEmpty() ? FinishReason.STOP : FinishReason.TOOL_CALLS;
      int emitted = 0;
      for (Piece piece : answer.pieces()) {
        emitted++;
        this.piecesEmitted.incrementAndGet();
        if (piece.kind() == PieceKind.CONTENT) {
          content.append(piece.text());
        } else if (piece.kind() == PieceKind.REASONING) {
          reasoning.append(piece.text());
        }
        if (!listener.onPiece(piece.text(), piece.kind())) {
          finish = FinishReason.CANCELLED;
          break;
        }
      }
      int promptTokens = request.messages().size() * 7;
      this.lastFinishReason = finish;
      return new ChatResult(
          content.toString(),
          reasoning.toString(),
          finish == FinishReason.CANCELLED ? List.of() : answer.toolCalls(),
          List.of(),
          promptTokens,
          emitted,
          finish,
          new GenerationTimings(1_000_000, 2_000_000, Math.max(0, emitted - 1)));
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(ex);
    } finally {
      this.active.decrementAndGet();
    }
  }

  public List<ChatRequest> requests() {
    return this.requests;
  }

  public ChatRequest lastRequest() {
    return this.requests.getLast();
  }

  public int maxActive() {
    return this.maxActive.get();
  }

  public int piecesEmitted() {
    return this.piecesEmitted.get();
  }

  /** Why the last finished request ended; null before any ended. */
  public FinishReason lastFinishReason() {
    return this.lastFinishReason;
  }

  public boolean isClosed() {
    return this.closed;
  }

  @Override
  public void close() {
    this.closed = true;
  }
}
