package io.flashtensors.llm;

/**
 * What a loaded model is and where it runs.
 *
 * @param id the model id (store id such as {@code Qwen/Qwen3-0.6B}, or the folder name)
 * @param architecture the architecture from config.json, such as {@code Qwen3ForCausalLM}
 * @param device where the weights live: {@code cpu} or {@code cuda:N}
 * @param contextLength the most tokens a request may hold (prompt plus output)
 * @param parameterBytes bytes of weights
 * @param loadSeconds how long loading the weights took
 */
public record ModelDescriptor(
    String id,
    String architecture,
    String device,
    int contextLength,
    long parameterBytes,
    double loadSeconds) {}
