package io.flashtensors.llm;

import java.util.Objects;

/**
 * A call of a tool by the model.
 *
 * @param id an id unique within the response (the model does not produce one; the engine assigns
 *     it)
 * @param name the tool's name
 * @param argumentsJson the arguments as a JSON object text
 */
public record ToolCall(String id, String name, String argumentsJson) {

  public ToolCall {
    Objects.requireNonNull(name, "name");
    argumentsJson = argumentsJson == null ? "{}" : argumentsJson;
  }
}
