package io.flashtensors.spring.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flashtensors.llm.ChatEngine;
import io.flashtensors.spring.testing.FakeChatEngine;
import io.flashtensors.spring.testing.FakeChatEngine.Answer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ManagedChatEngineTests {

  private final AtomicInteger loads = new AtomicInteger();

  private FakeChatEngine load() {
    this.loads.incrementAndGet();
    return new FakeChatEngine(request -> Answer.words("x"));
  }

  @Test
  void loadsOnceOnFirstUse() {
    ManagedChatEngine managed = new ManagedChatEngine("m", this::load);

    assertThat(managed.ifLoaded()).isEmpty();
    ChatEngine first = managed.get();

    assertThat(managed.get()).isSameAs(first);
    assertThat(managed.ifLoaded()).containsSame(first);
    assertThat(this.loads.get()).isEqualTo(1);
  }

  @Test
  void concurrentFirstUsesWaitForOneLoad() throws Exception {
    CountDownLatch go = new CountDownLatch(1);
    ManagedChatEngine managed =
        new ManagedChatEngine(
            "m",
            () -> {
              try {
                go.await();
              } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
              }
              return load();
            });
    ExecutorService threads = Executors.newFixedThreadPool(4);
    try {
      List<Future<ChatEngine>> engines = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        engines.add(threads.submit(managed::get));
      }
      go.countDown();
      ChatEngine first = engines.getFirst().get();
      for (Future<ChatEngine> engine : engines) {
        assertThat(engine.get()).isSameAs(first);
      }
    } finally {
      threads.shutdownNow();
    }
    assertThat(this.loads.get()).isEqualTo(1);
  }

  @Test
  void aFailedLoadIsRememberedAndTriedAgain() {
    AtomicInteger attempts = new AtomicInteger();
    ManagedChatEngine managed =
        new ManagedChatEngine(
            "m",
            () -> {
              if (attempts.incrementAndGet() == 1) {
                throw new IllegalStateException("disk went away");
              }
              return load();
            });

    assertThatThrownBy(managed::get).hasMessage("disk went away");
    assertThat(managed.lastFailure())
        .get()
        .extracting(Throwable::getMessage)
        .isEqualTo("disk went away");

    assertThat(managed.get()).isNotNull();
    assertThat(managed.lastFailure()).isEmpty();
  }

  @Test
  void closeClosesTheEngineAndRefusesLaterUse() {
    ManagedChatEngine managed = new ManagedChatEngine("m", this::load);
    FakeChatEngine engine = (FakeChatEngine) managed.get();

    managed.close();

    assertThat(engine.isClosed()).isTrue();
    assertThat(managed.ifLoaded()).isEmpty();
    assertThatThrownBy(managed::get).hasMessageContaining("is closed");
  }
}
