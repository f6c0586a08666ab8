package io.flashtensors.sample;

import io.flashtensors.spring.ai.FlashTensorsChatModel;
import io.flashtensors.spring.ai.FlashTensorsChatOptions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.metadata.Usage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;

/**
 * The chat API of the sample: {@code POST /api/chat} answers with JSON, {@code GET
 * /api/chat/stream} streams server-sent events ({@code reasoning} and {@code answer} pieces, then
 * {@code done}, or {@code error}). Both go through {@link ChatClient}, as an application would.
 */
@RestController
@RequestMapping("/api/chat")
class ChatController {

  private final ObjectProvider<ChatModel> chatModels;
  private final ObjectProvider<ChatClient.Builder> chatClients;
  private final Conversations conversations;

  ChatController(
      ObjectProvider<ChatModel> chatModels,
      ObjectProvider<ChatClient.Builder> chatClients,
      Conversations conversations) {
    this.chatModels = chatModels;
    this.chatClients = chatClients;
    this.conversations = conversations;
  }

  /** A question; {@code conversationId} continues an earlier conversation. */
  record Question(String message, String conversationId, Boolean think) {}

  /** A whole answer. */
  record Answer(
      String conversationId,
      String answer,
      String reasoning,
      String model,
      String device,
      Integer promptTokens,
      Integer completionTokens,
      String finishReason,
      double seconds) {}

  @PostMapping
  Answer chat(@RequestBody Question question) {
    String message = requireMessage(question.message());
    String id = this.conversations.idOrNew(question.conversationId());
    long start = System.nanoTime();
    ChatResponse response =
        request(id, message, Boolean.TRUE.equals(question.think())).call().chatResponse();
    var generation = response.getResult();
    String answer = generation.getOutput().getText();
    this.conversations.append(id, message, answer);
    Usage usage = response.getMetadata().getUsage();
    Object reasoning = generation.getOutput().getMetadata().get(FlashTensorsChatModel.THINKING_KEY);
    return new Answer(
        id,
        answer,
        reasoning == null ? "" : reasoning.toString(),
        response.getMetadata().getModel(),
        String.valueOf(response.getMetadata().<Object>get(FlashTensorsChatModel.DEVICE_KEY)),
        usage.getPromptTokens(),
        usage.getCompletionTokens(),
        generation.getMetadata().getFinishReason(),
        (System.nanoTime() - start) / 1e9);
  }

  @GetMapping(path = "/stream", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
  Flux<ServerSentEvent<Object>> stream(
      @RequestParam String message,
      @RequestParam(required = false) String conversationId,
      @RequestParam(defaultValue = "false") boolean think) {
    String question;
    String id = this.conversations.idOrNew(conversationId);
    ChatClient.ChatClientRequestSpec request;
    try {
      question = requireMessage(message);
      request = request(id, question, think);
    } catch (IllegalArgumentException | NoModelException ex) {
      // An EventSource cannot read an error status: the reason goes in the stream.
      return Flux.just(event("error", Map.of("message", String.valueOf(ex.getMessage()))));
    }
    long start = System.nanoTime();
    StringBuilder answer = new StringBuilder();
    AtomicReference<ChatResponse> last = new AtomicReference<>();
    Flux<ServerSentEvent<Object>> pieces =
        request.stream().chatResponse().concatMap(chunk -> events(chunk, answer, last));
    Flux<ServerSentEvent<Object>> done =
        Flux.defer(
            () -> {
              this.conversations.append(id, question, answer.toString());
              return Flux.just(event("done", summary(id, last.get(), start)));
            });
    return Flux.just(event("start", Map.of("conversationId", id)))
        .concatWith(pieces)
        .concatWith(done)
        .onErrorResume(
            error ->
                Flux.just(event("error", Map.of("message", String.valueOf(error.getMessage())))));
  }

  private Flux<ServerSentEvent<Object>> events(
      ChatResponse chunk, StringBuilder answer, AtomicReference<ChatResponse> last) {
    var generation = chunk.getResult();
    if (generation == null) {
      return Flux.empty();
    }
    if (generation.getMetadata().getFinishReason() != null) {
      last.set(chunk);
      return Flux.empty();
    }
    String text = generation.getOutput().getText();
    if (text != null && !text.isEmpty()) {
      answer.append(text);
      return Flux.just(event("answer", Map.of("t", text)));
    }
    Object thinking = generation.getOutput().getMetadata().get(FlashTensorsChatModel.THINKING_KEY);
    if (thinking != null) {
      return Flux.just(event("reasoning", Map.of("t", thinking.toString())));
    }
    return Flux.empty();
  }

  private static Map<String, Object> summary(String id, ChatResponse last, long start) {
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("conversationId", id);
    summary.put("seconds", (System.nanoTime() - start) / 1e9);
    if (last != null) {
      summary.put("model", last.getMetadata().getModel());
      summary.put("device", last.getMetadata().get(FlashTensorsChatModel.DEVICE_KEY));
      summary.put("promptTokens", last.getMetadata().getUsage().getPromptTokens());
      summary.put("completionTokens", last.getMetadata().getUsage().getCompletionTokens());
      summary.put("finishReason", last.getResult().getMetadata().getFinishReason());
    }
    return summary;
  }

  private ChatClient.ChatClientRequestSpec request(String id, String message, boolean think) {
    if (this.chatModels.getIfAvailable() == null) {
      throw new NoModelException();
    }
    ChatClient.Builder builder = this.chatClients.getObject();
    List<Message> history = this.conversations.history(id);
    return builder
        .build()
        .prompt()
        .messages(history)
        .user(message)
        .options(FlashTensorsChatOptions.builder().thinking(think));
  }

  private static String requireMessage(String message) {
    if (message == null || message.isBlank()) {
      throw new IllegalArgumentException("message must not be empty");
    }
    return message;
  }

  private static ServerSentEvent<Object> event(String name, Object data) {
    return ServerSentEvent.builder(data).event(name).build();
  }

  @ExceptionHandler(IllegalArgumentException.class)
  @ResponseStatus(HttpStatus.BAD_REQUEST)
  Map<String, String> badRequest(IllegalArgumentException ex) {
    return Map.of("error", String.valueOf(ex.getMessage()));
  }

  @ExceptionHandler(NoModelException.class)
  @ResponseStatus(HttpStatus.SERVICE_UNAVAILABLE)
  Map<String, String> noModel(NoModelException ex) {
    return Map.of("error", ex.getMessage());
  }

  /** No chat model is configured, and none is bundled. */
  static final class NoModelException extends RuntimeException {

    NoModelException() {
      super("no chat model: set flashtensors.chat.model to a model folder or store id");
    }
  }
}
