package io.flashtensors.spring.ai;

import io.flashtensors.llm.ChatEngine;
import io.flashtensors.llm.ChatRequest;
import io.flashtensors.llm.ChatResult;
import io.flashtensors.llm.ModelDescriptor;
import io.flashtensors.llm.TokenListener;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.springframework.ai.chat.model.ChatResponse;
import reactor.core.publisher.FluxSink;

/**
 * One streamed generation, run on a worker thread: waits for the engine, then emits a chunk per
 * decoded piece while the subscriber has demand. Without demand the generating thread pauses (the
 * engine is held, nothing is buffered); after {@code stallTimeout} without demand it stops with an
 * error. A cancelled subscription stops generation at the next piece, or leaves the queue when it
 * is still waiting for its turn.
 */
final class StreamingGeneration implements Runnable, TokenListener {

  private enum Phase {
    NEW,
    WAITING,
    RUNNING
  }

  private final FluxSink<ChatResponse> sink;
  private final String responseId;
  private final Supplier<ChatEngine> engines;
  private final Function<ChatEngine, RequestGate> gates;
  private final ChatRequest request;
  private final Duration stallTimeout;
  private final Object lock = new Object();
  private Phase phase = Phase.NEW;
  private Thread worker;
  private long demand;
  private boolean cancelled;
  private boolean stalled;
  private ModelDescriptor model;

  StreamingGeneration(
      FluxSink<ChatResponse> sink,
      String responseId,
      Supplier<ChatEngine> engines,
      Function<ChatEngine, RequestGate> gates,
      ChatRequest request,
      Duration stallTimeout) {
    this.sink = sink;
    this.responseId = responseId;
    this.engines = engines;
    this.gates = gates;
    this.request = request;
    this.stallTimeout = stallTimeout;
    sink.onRequest(this::request);
    sink.onCancel(this::cancel);
  }

  void request(long n) {
    synchronized (this.lock) {
      long sum = this.demand + n;
      this.demand = sum < 0 ? Long.MAX_VALUE : sum;
      this.lock.notifyAll();
    }
  }

  void cancel() {
    synchronized (this.lock) {
      this.cancelled = true;
      this.lock.notifyAll();
      if (this.phase == Phase.WAITING && this.worker != null) {
        this.worker.interrupt();
      }
    }
  }

  @Override
  public void run() {
    try {
      ChatEngine engine = this.engines.get();
      synchronized (this.lock) {
        if (this.cancelled) {
          return;
        }
        this.model = engine.descriptor();
        this.worker = Thread.currentThread();
        this.phase = Phase.WAITING;
      }
      RequestGate.Turn turn;
      try {
        turn = this.gates.apply(engine).enter();
      } catch (InterruptedException ex) {
        return;
      } finally {
        synchronized (this.lock) {
          this.phase = Phase.RUNNING;
          Thread.interrupted();
        }
      }
      try (turn) {
        if (isCancelled()) {
          return;
        }
        ChatResult result = engine.chat(this.request, this);
        if (isCancelled()) {
          return;
        }
        if (isStalled()) {
          this.sink.error(
              new IllegalStateException(
                  "the stream's subscriber requested nothing for "
                      + this.stallTimeout
                      + "; generation stopped"));
          return;
        }
        this.sink.next(ResponseMapper.finalResponse(this.responseId, result, this.model, true));
        this.sink.complete();
      }
    } catch (RuntimeException | Error ex) {
      this.sink.error(ex);
    }
  }

  @Override
  public boolean onPiece(String piece, PieceKind kind) {
    if (piece.isEmpty() || kind == PieceKind.TOOL_CALL) {
      return !isCancelled();
    }
    if (!awaitDemand()) {
      return false;
    }
    this.sink.next(
        ResponseMapper.piece(this.responseId, this.model, piece, kind == PieceKind.REASONING));
    return !isCancelled();
  }

  private boolean awaitDemand() {
    synchronized (this.lock) {
      long deadline = System.nanoTime() + this.stallTimeout.toNanos();
      while (this.demand == 0 && !this.cancelled) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          this.stalled = true;
          return false;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(this.lock, left);
        } catch (InterruptedException ex) {
          Thread.currentThread().interrupt();
          this.cancelled = true;
        }
      }
      if (this.cancelled) {
        return false;
      }
      if (this.demand != Long.MAX_VALUE) {
        this.demand--;
      }
      return true;
    }
  }

  private boolean isCancelled() {
    synchronized (this.lock) {
      return this.cancelled;
    }
  }

  private boolean isStalled() {
    synchronized (this.lock) {
      return this.stalled;
    }
  }
}
