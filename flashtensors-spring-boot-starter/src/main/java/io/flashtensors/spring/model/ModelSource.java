package io.flashtensors.spring.model;

/**
 * Turns the configured model reference ({@code flashtensors.chat.model}) into a folder on disk,
 * pulling it first when the policy allows and it is missing.
 */
@FunctionalInterface
public interface ModelSource {

  /**
   * Finds the model.
   *
   * @param model a store id ({@code org/name}) or a path to a local model folder
   * @param pullPolicy whether a model missing from the store may be downloaded
   * @return where the model is
   * @throws ModelNotFoundException when it is neither a folder nor in the store (and was not
   *     pulled)
   */
  ResolvedModel resolve(String model, PullPolicy pullPolicy);
}
