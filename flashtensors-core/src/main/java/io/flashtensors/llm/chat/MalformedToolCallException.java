package io.flashtensors.llm.chat;

/**
 * The model wrote a {@code <tool_call>} block that is not a tool call: not JSON, no function name,
 * arguments that are not an object, or no closing tag before the output ended.
 */
public final class MalformedToolCallException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String rawText;

  public MalformedToolCallException(String problem, String rawText) {
    super("malformed tool call (" + problem + "): " + abbreviate(rawText));
    this.rawText = rawText;
  }

  /** What the model wrote between the tags. */
  public String rawText() {
    return rawText;
  }

  private static String abbreviate(String text) {
    String oneLine = text.strip().replace('\n', ' ');
    return oneLine.length() <= 200 ? oneLine : oneLine.substring(0, 200) + "...";
  }
}
