package io.flashtensors.llm.generate;

/**
 * The compute of one sequence on one device: feeds tokens through the model, keeps their keys and
 * values in a cache, and exposes the logits of the last token. This is the seam between generation
 * (sampling, stopping, streaming: device-independent) and a backend (CPU, CUDA).
 *
 * <p>Not thread-safe: one sequence, one caller at a time.
 */
public interface ForwardPass extends AutoCloseable {

  /** Size of the vocabulary: the length of the logits. */
  int vocabSize();

  /** Most tokens the cache holds (prompt plus output). */
  int contextLength();

  /** Tokens in the cache: the position the next token gets. */
  int position();

  /**
   * Runs {@code tokens[offset .. offset+length)} at positions {@code position() ..}, appending
   * their keys and values to the cache; afterwards {@link #logits()} holds the logits of the last
   * of them. Prompts are processed in blocks so that weights are read once per block.
   *
   * @throws IllegalStateException when the tokens do not fit in the context
   * @throws IllegalArgumentException when a token id is outside the vocabulary
   */
  void forward(int[] tokens, int offset, int length);

  /**
   * Like {@link #forward(int[], int, int)} but writes the logits of every token into {@code
   * logits[i * vocabSize() ..]} (for parity checks).
   */
  void forwardAllLogits(int[] tokens, int offset, int length, float[] logits);

  /** The logits after the last {@code forward}, float32; valid until the next call. */
  float[] logits();

  /** Forgets the cache from {@code position} on (0 empties it). */
  void truncate(int position);

  /**
   * Chooses the next token from the last logits. The default hands them to the CPU sampler; a
   * device backend may sample on the device, with the semantics documented in {@link Sampler}.
   */
  default int sample(Sampler sampler) {
    return sampler.sample(logits());
  }

  /** Frees the cache. */
  @Override
  void close();
}
