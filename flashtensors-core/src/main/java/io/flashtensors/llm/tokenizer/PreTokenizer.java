package io.flashtensors.llm.tokenizer;

/**
 * Splits normalized text into pre-tokens, the pieces BPE sees one at a time. Implementations work
 * on a range of a string and treat the range's end as the end of the text, as Hugging Face does for
 * each piece it hands down a pre-tokenizer sequence.
 */
interface PreTokenizer {

  /** Receives the pieces, as ranges of the text passed to {@link #split}. */
  @FunctionalInterface
  interface Sink {
    void accept(String text, int start, int end);
  }

  /** Emits the pieces of {@code text[start, end)} in order; together they cover the range. */
  void split(String text, int start, int end, Sink sink);

  /** This pre-tokenizer, then {@code next} on each of its pieces. */
  default PreTokenizer then(PreTokenizer next) {
    PreTokenizer first = this;
    return (text, start, end, sink) ->
        first.split(text, start, end, (t, s, e) -> next.split(t, s, e, sink));
  }

  /** Leaves the text whole. */
  static PreTokenizer whole() {
    return (text, start, end, sink) -> {
      if (end > start) {
        sink.accept(text, start, end);
      }
    };
  }
}
