package io.flashtensors.llm.generate;

import java.util.Arrays;

/**
 * Chooses tokens from logits. One sampler serves one generation: it remembers the tokens generated
 * so far (for the penalties) and owns the random stream.
 *
 * <p>The logit processors act in this order, which is Hugging Face's ({@code generate} builds
 * penalties first, then the warpers temperature, top-k, top-p, min-p); device backends that sample
 * on the device must follow it exactly:
 *
 * <ol>
 *   <li><b>Vocabulary mask</b>: ids at or above the sampleable limit (the tokenizer's vocabulary
 *       size, when the embedding matrix has padding rows beyond it) get {@code -infinity}.
 *   <li><b>Penalties</b> (OpenAI semantics, on tokens generated in this request, not the prompt):
 *       {@code logit[t] -= count[t] * frequencyPenalty + (count[t] > 0 ? presencePenalty : 0)}.
 *   <li><b>Greedy</b>: at temperature 0 the result is the first index of the largest logit; nothing
 *       below applies and no random number is drawn.
 *   <li><b>Temperature</b>: {@code logit /= temperature} (float32).
 *   <li><b>Top-k</b> ({@code 0 < k < vocab}): drop logits below the k-th largest (ties with it
 *       stay).
 *   <li><b>Top-p</b> ({@code p < 1}): softmax over the kept tokens; in ascending order of
 *       probability, drop every token whose cumulative probability (itself included) is {@code <= 1
 *       - p}; the most likely token always stays.
 *   <li><b>Min-p</b> ({@code minP > 0}): softmax over the kept tokens; drop those whose probability
 *       is below {@code minP * max probability}.
 *   <li><b>Draw</b>: softmax over the kept tokens; one uniform {@code u} in [0, 1) from the stream
 *       (SplitMix64 seeded with the seed; {@code u = (next >>> 11) * 2^-53}); walking the kept
 *       tokens in ascending id order, the first whose cumulative probability exceeds {@code u} is
 *       chosen (the last kept token if rounding leaves none).
 * </ol>
 */
public final class Sampler {

  private final SamplingParams params;
  private final int vocabSize;
  private final int sampleable;
  private final int[] counts;
  private int[] distinct = new int[64];
  private int distinctCount;
  private long state;

  private float[] scores;
  private int[] kept;
  private float[] probs;
  private long[] order;

  /** A sampler over all {@code vocabSize} ids. */
  public Sampler(SamplingParams params, int vocabSize) {
    this(params, vocabSize, vocabSize);
  }

  /**
   * A sampler that never chooses ids at or above {@code sampleable} (padding rows of the embedding
   * matrix that the tokenizer has no token for).
   */
  public Sampler(SamplingParams params, int vocabSize, int sampleable) {
    if (sampleable < 1 || sampleable > vocabSize) {
      throw new IllegalArgumentException(
          "sampleable ids (%d) must be in [1, %d]".formatted(sampleable, vocabSize));
    }
    this.params = params;
    this.vocabSize = vocabSize;
    this.sampleable = sampleable;
    this.counts = params.hasPenalties() ? new int[vocabSize] : null;
    this.state = params.seed();
  }

  public SamplingParams params() {
    return params;
  }

  /** Ids at or above this are never chosen. */
  public int sampleable() {
    return sampleable;
  }

  /** Records a generated token (for the penalties). */
  public void accept(int token) {
    if (counts == null) {
      return;
    }
    if (counts[token]++ == 0) {
      if (distinctCount == distinct.length) {
        distinct = Arrays.copyOf(distinct, distinctCount * 2);
      }
      distinct[distinctCount++] = token;
    }
  }

  /** How often {@code token} was generated so far (0 when no penalty applies). */
  public int count(int token) {
    return counts == null ? 0 : counts[token];
  }

  /** The next uniform number in [0, 1) of the random stream (one per sampled token). */
  public double nextUniform() {
    state += 0x9E3779B97F4A7C15L;
    long z = state;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z ^= z >>> 31;
    return (z >>> 11) * 0x1.0p-53;
  }

  /** Chooses the next token; {@code logits} is left unchanged. */
  public int sample(float[] logits) {
    if (logits.length != vocabSize) {
      throw new IllegalArgumentException(
          "expected %d logits, got %d".formatted(vocabSize, logits.length));
    }
    float[] s = scores(logits);
    if (params.isGreedy()) {
      return argmax(s);
    }
    int n = process(s);
    return draw(n);
  }

  /**
   * The probabilities the draw would use, as a dense vector (0 for dropped tokens); for tests and
   * for checking device samplers. Does not draw.
   */
  public float[] distribution(float[] logits) {
    float[] s = scores(logits);
    float[] dense = new float[vocabSize];
    if (params.isGreedy()) {
      dense[argmax(s)] = 1;
      return dense;
    }
    int n = process(s);
    for (int j = 0; j < n; j++) {
      dense[kept[j]] = probs[j];
    }
    return dense;
  }

  private float[] scores(float[] logits) {
    if (scores == null) {
      scores = new float[vocabSize];
      kept = new int[vocabSize];
      probs = new float[vocabSize];
      order = new long[vocabSize];
    }
    System.arraycopy(logits, 0, scores, 0, vocabSize);
    Arrays.fill(scores, sampleable, vocabSize, Float.NEGATIVE_INFINITY);
    if (counts != null) {
      float presence = (float) params.presencePenalty();
      float frequency = (float) params.frequencyPenalty();
      for (int i = 0; i < distinctCount; i++) {
        int t = distinct[i];
        scores[t] -= counts[t] * frequency + presence;
      }
    }
    return scores;
  }

  /** Temperature, top-k, top-p, min-p; leaves {@code n} kept ids in ascending order with probs. */
  private int process(float[] s) {
    float temperature = (float) params.temperature();
    if (temperature != 1f) {
      for (int i = 0; i < vocabSize; i++) {
        s[i] = s[i] / temperature;
      }
    }
    int n = 0;
    int k = params.topK();
    if (k > 0 && k < vocabSize) {
      float kth = kthLargest(s, k);
      for (int i = 0; i < vocabSize; i++) {
        if (s[i] >= kth && s[i] != Float.NEGATIVE_INFINITY) {
          kept[n++] = i;
        }
      }
    } else {
      for (int i = 0; i < vocabSize; i++) {
        if (s[i] != Float.NEGATIVE_INFINITY) {
          kept[n++] = i;
        }
      }
    }
    softmax(s, n);
    if (params.topP() < 1) {
      n = topP(n);
      softmax(s, n);
    }
    if (params.minP() > 0) {
      float max = 0;
      for (int j = 0; j < n; j++) {
        max = Math.max(max, probs[j]);
      }
      float threshold = (float) params.minP() * max;
      int m = 0;
      for (int j = 0; j < n; j++) {
        if (probs[j] >= threshold) {
          kept[m++] = kept[j];
        }
      }
      n = m;
      softmax(s, n);
    }
    return n;
  }

  /** Top-p over the {@code n} kept tokens (with their probabilities in {@code probs}). */
  private int topP(int n) {
    double dropMass = 1 - params.topP();
    // Tokens below (1-p)/(n-1) hold less than 1-p together and come first in ascending order, so
    // they are dropped whatever else there is: skip sorting them, but count their mass.
    float floor = n > 1 ? (float) (dropMass / (n - 1)) : 0f;
    double below = 0;
    int m = 0;
    for (int j = 0; j < n; j++) {
      if (probs[j] < floor) {
        below += probs[j];
      } else {
        order[m++] = ((long) Float.floatToRawIntBits(probs[j]) << 32) | kept[j];
      }
    }
    if (m == 0) { // p so small that even the top token is below the floor: keep the top token
      int best = 0;
      for (int j = 1; j < n; j++) {
        best = probs[j] > probs[best] ? j : best;
      }
      kept[0] = kept[best];
      return 1;
    }
    Arrays.sort(order, 0, m);
    float cumulative = (float) below;
    int firstKept = m - 1;
    for (int j = 0; j < m - 1; j++) {
      cumulative += Float.intBitsToFloat((int) (order[j] >>> 32));
      if (cumulative > dropMass) {
        firstKept = j;
        break;
      }
    }
    int kept2 = 0;
    for (int j = firstKept; j < m; j++) {
      kept[kept2++] = (int) order[j];
    }
    Arrays.sort(kept, 0, kept2);
    return kept2;
  }

  /** probs[j] = softmax of s over the kept ids kept[0..n). */
  private void softmax(float[] s, int n) {
    float max = Float.NEGATIVE_INFINITY;
    for (int j = 0; j < n; j++) {
      max = Math.max(max, s[kept[j]]);
    }
    double sum = 0;
    for (int j = 0; j < n; j++) {
      float e = (float) Math.exp(s[kept[j]] - max);
      probs[j] = e;
      sum += e;
    }
    float inv = (float) (1 / sum);
    for (int j = 0; j < n; j++) {
      probs[j] *= inv;
    }
  }

  private int draw(int n) {
    double u = nextUniform();
    double cumulative = 0;
    for (int j = 0; j < n; j++) {
      cumulative += probs[j];
      if (u < cumulative) {
        return kept[j];
      }
    }
    return kept[n - 1];
  }

  static int argmax(float[] s) {
    int best = 0;
    for (int i = 1; i < s.length; i++) {
      if (s[i] > s[best]) {
        best = i;
      }
    }
    return best;
  }

  /** The k-th largest value of {@code s}, with a min-heap of size k. */
  private static float kthLargest(float[] s, int k) {
    float[] heap = new float[k];
    int size = 0;
    for (float value : s) {
      if (size < k) {
        heap[size] = value;
        siftUp(heap, size++);
      } else if (value > heap[0]) {
        heap[0] = value;
        siftDown(heap, k);
      }
    }
    return heap[0];
  }

  private static void siftUp(float[] heap, int i) {
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (heap[parent] <= heap[i]) {
        return;
      }
      float t = heap[parent];
      heap[parent] = heap[i];
      heap[i] = t;
      i = parent;
    }
  }

  private static void siftDown(float[] heap, int size) {
    int i = 0;
    while (true) {
      int l = 2 * i + 1;
      if (l >= size) {
        return;
      }
      int smallest = l + 1 < size && heap[l + 1] < heap[l] ? l + 1 : l;
      if (heap[i] <= heap[smallest]) {
        return;
      }
      float t = heap[smallest];
      heap[smallest] = heap[i];
      heap[i] = t;
      i = smallest;
    }
  }
}
