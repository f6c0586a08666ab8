package io.flashtensors.llm.chat;

import io.flashtensors.llm.TokenListener;
import io.flashtensors.llm.TokenListener.PieceKind;
import io.flashtensors.llm.ToolCall;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Splits Qwen3 output, as it streams, into reasoning ({@code <think>...</think>} at the start),
 * answer, and {@code <tool_call>{"name": ..., "arguments": {...}}</tool_call>} blocks. Feed it the
 * decoded text piece by piece; it passes each part on classified as {@link PieceKind#REASONING},
 * {@link PieceKind#CONTENT} or {@link PieceKind#TOOL_CALL} (the block with its tags), holding back
 * only what could still turn out to be the start of a tag, or newlines and white space that the
 * final result trims. The streamed reasoning and content pieces concatenate to exactly {@link
 * ParsedOutput#reasoning()} and {@link ParsedOutput#content()}. Not thread-safe: one per
 * generation.
 */
public final class Qwen3OutputParser {

  private static final String THINK = "<think>";
  private static final String END_THINK = "</think>";
  private static final String TOOL_CALL = "<tool_call>";
  private static final String END_TOOL_CALL = "</tool_call>";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private enum Mode {
    START,
    REASONING,
    CONTENT,
    TOOL_CALL
  }

  private final IntFunction<String> idFactory;
  private Mode mode;
  private final StringBuilder buffer = new StringBuilder();
  private final StringBuilder reasoning = new StringBuilder();
  private final StringBuilder content = new StringBuilder();
  private final StringBuilder toolCallText = new StringBuilder();
  private final List<ToolCall> toolCalls = new ArrayList<>();
  private final List<MalformedToolCallException> malformed = new ArrayList<>();
  private boolean atReasoningStart = true;
  private boolean atContentStart = true;
  private String heldReasoning = "";
  private String heldContent = "";
  private boolean listenerStopped;

  /** A parser for output that starts after the generation prompt (the model opens any think). */
  public Qwen3OutputParser() {
    this(false, randomIds());
  }

  /**
   * @param startsInReasoning the prompt ended inside an open {@code <think>}, so output is
   *     reasoning until {@code </think>}
   * @param idFactory the id of the n-th tool call (from 0), as {@link ToolCall#id()}
   */
  public Qwen3OutputParser(boolean startsInReasoning, IntFunction<String> idFactory) {
    this.idFactory = idFactory;
    this.mode = startsInReasoning ? Mode.REASONING : Mode.START;
  }

  /** Parses a whole output at once. */
  public static ParsedOutput parse(String output) {
    Qwen3OutputParser parser = new Qwen3OutputParser(false, i -> "call_" + i);
    parser.accept(output, TokenListener.none());
    return parser.finish(TokenListener.none());
  }

  /**
   * Takes the next piece of output text and passes on what is now certain.
   *
   * @return false once the listener has asked to stop
   */
  public boolean accept(String text, TokenListener listener) {
    buffer.append(text);
    process(listener, false);
    return !listenerStopped;
  }

  /** Ends the output: passes on what was held back and returns the parts. */
  public ParsedOutput finish(TokenListener listener) {
    process(listener, true);
    boolean unfinished = mode == Mode.REASONING;
    if (mode == Mode.TOOL_CALL) {
      malformed.add(
          new MalformedToolCallException("no closing </tool_call>", toolCallText.toString()));
      mode = Mode.CONTENT;
    }
    return new ParsedOutput(
        reasoning.toString(), content.toString(), toolCalls, malformed, unfinished);
  }

  private void process(TokenListener listener, boolean end) {
    while (true) {
      switch (mode) {
        case START -> {
          int first = 0;
          while (first < buffer.length() && Character.isWhitespace(buffer.charAt(first))) {
            first++;
          }
          if (first == buffer.length() && !end) {
            return; // only white space so far: a <think> may follow
          }
          String rest = buffer.substring(first);
          if (rest.startsWith(THINK)) {
            buffer.delete(0, first + THINK.length());
            mode = Mode.REASONING;
          } else if (THINK.startsWith(rest) && !end && !rest.isEmpty()) {
            return;
          } else {
            mode = Mode.CONTENT;
          }
        }
        case REASONING -> {
          int close = buffer.indexOf(END_THINK);
          if (close >= 0) {
            emitReasoning(buffer.substring(0, close), listener);
            heldReasoning = ""; // newlines before </think> are not part of the reasoning
            buffer.delete(0, close + END_THINK.length());
            mode = Mode.CONTENT;
            continue;
          }
          int keep = end ? 0 : partialTagLength(END_THINK);
          emitReasoning(buffer.substring(0, buffer.length() - keep), listener);
          buffer.delete(0, buffer.length() - keep);
          return;
        }
        case CONTENT -> {
          int open = buffer.indexOf(TOOL_CALL);
          if (open >= 0) {
            emitContent(buffer.substring(0, open), listener);
            heldContent = ""; // white space before a tool call separates, it is not content
            buffer.delete(0, open + TOOL_CALL.length());
            toolCallText.setLength(0);
            emit(TOOL_CALL, PieceKind.TOOL_CALL, listener);
            mode = Mode.TOOL_CALL;
            continue;
          }
          int keep = end ? 0 : partialTagLength(TOOL_CALL);
          emitContent(buffer.substring(0, buffer.length() - keep), listener);
          buffer.delete(0, buffer.length() - keep);
          return;
        }
        case TOOL_CALL -> {
          int close = buffer.indexOf(END_TOOL_CALL);
          if (close >= 0) {
            String inner = buffer.substring(0, close);
            toolCallText.append(inner);
            emit(inner + END_TOOL_CALL, PieceKind.TOOL_CALL, listener);
            buffer.delete(0, close + END_TOOL_CALL.length());
            readToolCall(toolCallText.toString());
            mode = Mode.CONTENT;
            continue;
          }
          int keep = end ? 0 : partialTagLength(END_TOOL_CALL);
          String inner = buffer.substring(0, buffer.length() - keep);
          toolCallText.append(inner);
          emit(inner, PieceKind.TOOL_CALL, listener);
          buffer.delete(0, buffer.length() - keep);
          return;
        }
      }
    }
  }

  /** Reasoning without its leading newlines; trailing newlines wait for more text. */
  private void emitReasoning(String text, TokenListener listener) {
    if (atReasoningStart) {
      text = stripLeadingNewlines(text);
      if (text.isEmpty()) {
        return;
      }
      atReasoningStart = false;
    }
    String all = heldReasoning + text;
    int end = all.length();
    while (end > 0 && all.charAt(end - 1) == '\n') {
      end--;
    }
    heldReasoning = all.substring(end);
    String ready = all.substring(0, end);
    reasoning.append(ready);
    emit(ready, PieceKind.REASONING, listener);
  }

  /** Content without its leading newlines; trailing white space waits for more text. */
  private void emitContent(String text, TokenListener listener) {
    if (atContentStart) {
      text = stripLeadingNewlines(text);
      if (text.isEmpty()) {
        return;
      }
      atContentStart = false;
    }
    String all = heldContent + text;
    int end = all.length();
    while (end > 0 && Character.isWhitespace(all.charAt(end - 1))) {
      end--;
    }
    heldContent = all.substring(end);
    String ready = all.substring(0, end);
    content.append(ready);
    emit(ready, PieceKind.CONTENT, listener);
  }

  private void emit(String text, PieceKind kind, TokenListener listener) {
    if (!text.isEmpty() && !listenerStopped && !listener.onPiece(text, kind)) {
      listenerStopped = true;
    }
  }

  /** Reads {"name": ..., "arguments": {...}}; arguments given as a JSON string are unwrapped. */
  private void readToolCall(String raw) {
    JsonNode node;
    try {
      node = JSON.readTree(raw);
    } catch (JacksonException e) {
      malformed.add(new MalformedToolCallException("not JSON: " + e.getOriginalMessage(), raw));
      return;
    }
    if (node == null || !node.isObject()) {
      malformed.add(new MalformedToolCallException("not a JSON object", raw));
      return;
    }
    if (!node.path("name").isString() || node.get("name").stringValue().isBlank()) {
      malformed.add(new MalformedToolCallException("no \"name\" string", raw));
      return;
    }
    JsonNode arguments = node.get("arguments");
    String argumentsJson;
    if (arguments == null || arguments.isNull()) {
      argumentsJson = "{}";
    } else if (arguments.isObject()) {
      argumentsJson = PythonJson.dumps(arguments);
    } else if (arguments.isString() && isJsonObject(arguments.stringValue())) {
      argumentsJson = arguments.stringValue();
    } else {
      malformed.add(new MalformedToolCallException("\"arguments\" is not a JSON object", raw));
      return;
    }
    toolCalls.add(
        new ToolCall(
            idFactory.apply(toolCalls.size()), node.get("name").stringValue(), argumentsJson));
  }

  private static boolean isJsonObject(String text) {
    try {
      JsonNode node = JSON.readTree(text);
      return node != null && node.isObject();
    } catch (JacksonException e) {
      return false;
    }
  }

  /** The length of the longest end of the buffer that is the start of {@code tag}. */
  private int partialTagLength(String tag) {
    int max = Math.min(buffer.length(), tag.length() - 1);
    for (int k = max; k > 0; k--) {
      if (endsWithPrefix(tag, k)) {
        return k;
      }
    }
    return 0;
  }

  private boolean endsWithPrefix(String tag, int k) {
    int from = buffer.length() - k;
    for (int i = 0; i < k; i++) {
      if (buffer.charAt(from + i) != tag.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private static String stripLeadingNewlines(String text) {
    int i = 0;
    while (i < text.length() && text.charAt(i) == '\n') {
      i++;
    }
    return text.substring(i);
  }

  private static IntFunction<String> randomIds() {
    SecureRandom random = new SecureRandom();
    String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    return n -> {
      StringBuilder id = new StringBuilder("call_");
      for (int i = 0; i < 24; i++) {
        id.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      return id.toString();
    };
  }
}
