package io.flashtensors.llm;

import java.util.Objects;

/**
 * A tool the model may call, as chat templates render it.
 *
 * @param name the function name
 * @param description what it does, for the model
 * @param parametersJsonSchema the JSON schema of its arguments (an object schema)
 */
public record ToolDefinition(String name, String description, String parametersJsonSchema) {

  public ToolDefinition {
    Objects.requireNonNull(name, "name");
    description = description == null ? "" : description;
    parametersJsonSchema =
        parametersJsonSchema == null
            ? "{\"type\":\"object\",\"properties\":{}}"
            : parametersJsonSchema;
  }
}
