package io.flashtensors.llm;

/** Receives generated text as it is produced. Called on the generating thread; keep it quick. */
@FunctionalInterface
public interface TokenListener {

  /**
   * One step of output.
   *
   * @param piece decoded text of this step (never half a UTF-8 character; may be empty while a
   *     character is incomplete or a stop sequence might still match)
   * @param kind whether the piece is reasoning, answer or tool-call markup
   * @return false to stop generation (finish reason {@link FinishReason#CANCELLED})
   */
  boolean onPiece(String piece, PieceKind kind);

  /** Which part of the output a streamed piece belongs to. */
  enum PieceKind {
    REASONING,
    CONTENT,
    TOOL_CALL
  }

  /** A listener that ignores everything. */
  static TokenListener none() {
    return (piece, kind) -> true;
  }
}
