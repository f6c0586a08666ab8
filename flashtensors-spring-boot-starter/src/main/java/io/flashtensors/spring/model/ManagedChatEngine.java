package io.flashtensors.spring.model;

import io.flashtensors.llm.ChatEngine;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The chat engine of the application, loaded once on first use (or at startup) and closed with the
 * application context. Concurrent first uses wait for one load. A failed load is remembered for the
 * health endpoint and tried again on the next use.
 */
public final class ManagedChatEngine implements AutoCloseable {

  private final String modelReference;
  private final Supplier<ChatEngine> loader;
  private final Object lock = new Object();
  private volatile ChatEngine engine;
  private volatile RuntimeException lastFailure;
  private volatile boolean closed;

  /**
   * @param modelReference the configured model (store id or folder), for messages
   * @param loader opens the engine; called at most once per successful load
   */
  public ManagedChatEngine(String modelReference, Supplier<ChatEngine> loader) {
    this.modelReference = Objects.requireNonNull(modelReference, "modelReference");
    this.loader = Objects.requireNonNull(loader, "loader");
  }

  /** Wraps an engine that is already loaded. */
  public static ManagedChatEngine of(ChatEngine engine) {
    ManagedChatEngine managed =
        new ManagedChatEngine(
            engine.descriptor().id(),
            () -> {
              throw new IllegalStateException("already loaded");
            });
    managed.engine = engine;
    return managed;
  }

  /**
   * The engine, loading it first when needed.
   *
   * @throws IllegalStateException when closed
   * @throws RuntimeException what loading threw
   */
  public ChatEngine get() {
    ChatEngine current = this.engine;
    if (current != null) {
      return current;
    }
    synchronized (this.lock) {
      if (this.closed) {
        throw new IllegalStateException(
            "the chat engine for " + this.modelReference + " is closed");
      }
      if (this.engine == null) {
        try {
          this.engine = Objects.requireNonNull(this.loader.get(), "loader returned no engine");
          this.lastFailure = null;
        } catch (RuntimeException ex) {
          this.lastFailure = ex;
          throw ex;
        }
      }
      return this.engine;
    }
  }

  /** The engine when it is loaded; never loads. */
  public Optional<ChatEngine> ifLoaded() {
    return Optional.ofNullable(this.engine);
  }

  /** Why the last load failed, when it did and no load succeeded since. */
  public Optional<RuntimeException> lastFailure() {
    return Optional.ofNullable(this.lastFailure);
  }

  /** The configured model reference (store id or folder). */
  public String modelReference() {
    return this.modelReference;
  }

  @Override
  public void close() {
    synchronized (this.lock) {
      this.closed = true;
      ChatEngine current = this.engine;
      this.engine = null;
      if (current != null) {
        current.close();
      }
    }
  }
}
