package io.flashtensors.spring.ai;

import io.flashtensors.llm.ChatResult;
import io.flashtensors.llm.FinishReason;
import io.flashtensors.llm.ModelDescriptor;
import io.flashtensors.llm.ToolCall;
import io.flashtensors.llm.chat.MalformedToolCallException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.metadata.ChatGenerationMetadata;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;
import org.springframework.ai.chat.metadata.DefaultUsage;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Turns the engine's output into Spring AI responses: whole ones and stream chunks. */
final class ResponseMapper {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private ResponseMapper() {}

  /** A whole answer, or the last chunk of a stream when {@code content} is empty. */
  static ChatResponse finalResponse(
      String responseId, ChatResult result, ModelDescriptor model, boolean streamed) {
    String reasoning = result.reasoning() == null ? "" : result.reasoning();
    Map<String, Object> properties =
        reasoning.isEmpty() ? Map.of() : Map.of(FlashTensorsChatModel.THINKING_KEY, reasoning);
    AssistantMessage message =
        AssistantMessage.builder()
            .content(streamed ? "" : result.content())
            .properties(properties)
            .toolCalls(toolCalls(result.toolCalls()))
            .build();
    ChatGenerationMetadata.Builder generation =
        ChatGenerationMetadata.builder().finishReason(finishReason(result.finishReason()));
    if (!reasoning.isEmpty()) {
      generation.metadata(FlashTensorsChatModel.THINKING_KEY, reasoning);
    }
    ChatResponseMetadata.Builder metadata =
        responseMetadata(responseId, model)
            .usage(new DefaultUsage(result.promptTokens(), result.completionTokens()));
    if (result.timings() != null) {
      metadata
          .keyValue("prefill-duration", Duration.ofNanos(result.timings().prefillNanos()))
          .keyValue("decode-duration", Duration.ofNanos(result.timings().decodeNanos()))
          .keyValue("decode-tokens-per-second", result.timings().decodeTokensPerSecond());
    }
    return new ChatResponse(List.of(new Generation(message, generation.build())), metadata.build());
  }

  /** One streamed piece: answer text, or reasoning kept under {@code thinking}. */
  static ChatResponse piece(
      String responseId, ModelDescriptor model, String piece, boolean reasoning) {
    AssistantMessage message =
        reasoning
            ? AssistantMessage.builder()
                .content("")
                .properties(Map.of(FlashTensorsChatModel.THINKING_KEY, piece))
                .build()
            : new AssistantMessage(piece);
    return new ChatResponse(
        List.of(new Generation(message)), responseMetadata(responseId, model).build());
  }

  private static ChatResponseMetadata.Builder responseMetadata(
      String responseId, ModelDescriptor model) {
    return ChatResponseMetadata.builder()
        .id(responseId)
        .model(model.id())
        .keyValue(FlashTensorsChatModel.DEVICE_KEY, model.device());
  }

  /**
   * Spring AI's wire names: {@code stop}, {@code length}, {@code tool_calls}, {@code cancelled}.
   */
  static String finishReason(FinishReason reason) {
    return reason == null ? "stop" : reason.name().toLowerCase(Locale.ROOT);
  }

  static List<AssistantMessage.ToolCall> toolCalls(List<ToolCall> calls) {
    List<AssistantMessage.ToolCall> converted = new ArrayList<>(calls.size());
    for (int i = 0; i < calls.size(); i++) {
      ToolCall call = calls.get(i);
      checkArguments(call);
      String id = call.id() == null || call.id().isBlank() ? "call_" + i : call.id();
      converted.add(
          new AssistantMessage.ToolCall(id, "function", call.name(), call.argumentsJson()));
    }
    return converted;
  }

  private static void checkArguments(ToolCall call) {
    JsonNode arguments;
    try {
      arguments = JSON.readTree(call.argumentsJson());
    } catch (JacksonException ex) {
      throw new MalformedToolCallException(
          "arguments of tool '%s' are not valid JSON: %s"
              .formatted(call.name(), ex.getOriginalMessage()),
          call.argumentsJson());
    }
    if (arguments == null || !arguments.isObject()) {
      throw new MalformedToolCallException(
          "arguments of tool '%s' are not a JSON object".formatted(call.name()),
          call.argumentsJson());
    }
  }
}
