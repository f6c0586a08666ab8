package io.flashtensors.spring.ai;

import io.flashtensors.llm.ChatMessage;
import io.flashtensors.llm.ChatRequest;
import io.flashtensors.llm.SamplingOptions;
import io.flashtensors.llm.ToolCall;
import io.flashtensors.llm.ToolDefinition;
import java.util.ArrayList;
import java.util.List;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.model.tool.ToolCallingChatOptions;
import org.springframework.ai.tool.ToolCallback;

/** Turns a Spring AI prompt into the engine's {@link ChatRequest}. */
final class RequestMapper {

  private RequestMapper() {}

  static ChatRequest toChatRequest(List<Message> instructions, FlashTensorsChatOptions options) {
    return new ChatRequest(
        messages(instructions),
        tools(options),
        options.getThinking() == null || options.getThinking(),
        sampling(options));
  }

  static List<ChatMessage> messages(List<Message> instructions) {
    List<ChatMessage> messages = new ArrayList<>(instructions.size());
    for (Message message : instructions) {
      switch (message.getMessageType()) {
        case SYSTEM -> messages.add(ChatMessage.system(text(message)));
        case USER -> {
          if (message instanceof UserMessage user && !user.getMedia().isEmpty()) {
            throw new IllegalArgumentException(
                "flashtensors chat models take text only; the user message has "
                    + user.getMedia().size()
                    + " media attachment(s)");
          }
          messages.add(ChatMessage.user(text(message)));
        }
        case ASSISTANT -> messages.add(assistant(message));
        case TOOL -> {
          if (!(message instanceof ToolResponseMessage toolResponses)) {
            throw new IllegalArgumentException(
                "a tool message must be a ToolResponseMessage, was "
                    + message.getClass().getName());
          }
          for (ToolResponseMessage.ToolResponse response : toolResponses.getResponses()) {
            messages.add(ChatMessage.tool(response.responseData(), response.id(), response.name()));
          }
        }
      }
    }
    return messages;
  }

  private static ChatMessage assistant(Message message) {
    Object thinking = message.getMetadata().get(FlashTensorsChatModel.THINKING_KEY);
    String reasoning = thinking instanceof String text && !text.isEmpty() ? text : null;
    List<ToolCall> toolCalls = List.of();
    if (message instanceof AssistantMessage assistant && assistant.hasToolCalls()) {
      toolCalls =
          assistant.getToolCalls().stream()
              .map(call -> new ToolCall(call.id(), call.name(), call.arguments()))
              .toList();
    }
    return ChatMessage.assistant(text(message), reasoning, toolCalls);
  }

  static List<ToolDefinition> tools(ToolCallingChatOptions options) {
    List<ToolCallback> callbacks = options.getToolCallbacks();
    if (callbacks == null || callbacks.isEmpty()) {
      return List.of();
    }
    ToolCallingChatOptions.validateToolCallbacks(callbacks);
    return callbacks.stream()
        .map(ToolCallback::getToolDefinition)
        .map(tool -> new ToolDefinition(tool.name(), tool.description(), tool.inputSchema()))
        .toList();
  }

  static SamplingOptions sampling(FlashTensorsChatOptions options) {
    Integer maxTokens = options.getMaxTokens();
    if (maxTokens != null && maxTokens < 1) {
      throw new IllegalArgumentException("maxTokens must be at least 1, was " + maxTokens);
    }
    Double temperature = options.getTemperature();
    if (temperature != null && (temperature < 0 || temperature.isNaN())) {
      throw new IllegalArgumentException("temperature must be 0 or more, was " + temperature);
    }
    Double topP = options.getTopP();
    if (topP != null && !(topP > 0 && topP <= 1)) {
      throw new IllegalArgumentException("topP must be in (0, 1], was " + topP);
    }
    Double minP = options.getMinP();
    if (minP != null && !(minP >= 0 && minP <= 1)) {
      throw new IllegalArgumentException("minP must be in [0, 1], was " + minP);
    }
    return new SamplingOptions(
        maxTokens,
        temperature,
        options.getTopK(),
        topP,
        minP,
        options.getPresencePenalty(),
        options.getFrequencyPenalty(),
        options.getSeed(),
        options.getStopSequences());
  }

  private static String text(Message message) {
    String text = message.getText();
    return text == null ? "" : text;
  }
}
