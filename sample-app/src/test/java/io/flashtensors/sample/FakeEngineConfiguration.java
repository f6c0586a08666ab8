package io.flashtensors.sample;

import io.flashtensors.llm.ChatEngine;
import io.flashtensors.llm.ChatRequest;
import io.flashtensors.llm.ChatResult;
import io.flashtensors.llm.FinishReason;
import io.flashtensors.llm.GenerationTimings;
import io.flashtensors.llm.ModelDescriptor;
import io.flashtensors.llm.TokenListener;
import io.flashtensors.llm.TokenListener.PieceKind;
import io.flashtensors.spring.model.ChatEngineFactory;
import io.flashtensors.spring.model.ModelSource;
import io.flashtensors.spring.model.ResolvedModel;
import java.nio.file.Path;
import java.util.List;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * A scripted engine for the web tests: reasons briefly, then echoes the question word by word with
 * a short pause per piece, so streaming is visible.
 */
@TestConfiguration(proxyBeanMethods = false)
class FakeEngineConfiguration {

  static final String MODEL = "test/fake-qwen3";

  @Bean
  ModelSource fakeModelSource() {
    return (model, policy) -> new ResolvedModel(model, Path.of("/models", model));
  }

  @Bean
  ChatEngineFactory fakeEngineFactory() {
    return model -> new EchoEngine(model.id());
  }

  static final class EchoEngine implements ChatEngine {

    private final ModelDescriptor descriptor;

    EchoEngine(String id) {
      this.descriptor = new ModelDescriptor(id, "Qwen3ForCausalLM", "cpu", 4096, 1 << 20, 0.42);
    }

    @Override
    public ModelDescriptor descriptor() {
      return this.descriptor;
    }

    @Override
    public ChatResult chat(ChatRequest request, TokenListener listener) {
      String question = request.messages().getLast().content();
      StringBuilder reasoning = new StringBuilder();
      StringBuilder content = new StringBuilder();
      int pieces = 0;
      FinishReason finish = FinishReason.STOP;
      if (request.enableThinking()) {
        reasoning.append("Echo it.");
        pieces++;
        listener.onPiece("Echo it.", PieceKind.REASONING);
      }
      for (String word : ("You said: " + question).split("(?<= )")) {
        pause();
        content.append(word);
        pieces++;
        if (!listener.onPiece(word, PieceKind.CONTENT)) {
          finish = FinishReason.CANCELLED;
          break;
        }
      }
      return new ChatResult(
          content.toString(),
          reasoning.toString(),
          List.of(),
          List.of(),
          request.messages().size() * 5,
          pieces,
          finish,
          new GenerationTimings(1_000_000, 5_000_000, pieces));
    }

    private static void pause() {
      try {
        Thread.sleep(30);
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public void close() {}
  }
}
