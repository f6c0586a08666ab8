package io.flashtensors.llm.qwen3.cuda;

import io.flashtensors.llm.generate.ForwardPass;
import io.flashtensors.llm.generate.Sampler;
import io.flashtensors.llm.generate.SamplingParams;

/**
 * The engine's {@link ForwardPass} over a {@link CudaQwen3Sequence}. {@link #sample} chooses tokens
 * on the GPU with {@link Sampler}'s semantics and random stream, so only token ids cross PCIe.
 */
final class CudaQwen3ForwardPass implements ForwardPass {

  private final CudaQwen3Sequence sequence;
  private Sampler current;

  CudaQwen3ForwardPass(CudaQwen3Sequence sequence) {
    this.sequence = sequence;
  }

  /** The sequence underneath (tests reach the GPU sampler through it). */
  CudaQwen3Sequence sequence() {
    return sequence;
  }

  @Override
  public int vocabSize() {
    return sequence.vocabSize();
  }

  @Override
  public int contextLength() {
    return sequence.contextLength();
  }

  @Override
  public int position() {
    return sequence.position();
  }

  @Override
  public void forward(int[] tokens, int offset, int length) {
    sequence.forward(tokens, offset, length);
  }

  @Override
  public void forwardAllLogits(int[] tokens, int offset, int length, float[] logits) {
    sequence.forwardAllLogits(tokens, offset, length, logits);
  }

  @Override
  public float[] logits() {
    return sequence.logits();
  }

  @Override
  public void truncate(int position) {
    sequence.truncate(position);
  }

  @Override
  public int sample(Sampler sampler) {
    SamplingParams p = sampler.params();
    if (sampler != current) {
      // A new generation: the device's penalty counts start from what this sampler has seen.
      current = sampler;
      if (p.hasPenalties()) {
        int[] counts = new int[sequence.vocabSize()];
        for (int t = 0; t < counts.length; t++) {
          counts[t] = sampler.count(t);
        }
        sequence.setPenaltyCounts(counts);
      } else {
        sequence.resetPenaltyCounts();
      }
    }
    return sequence.sample(
        p.isGreedy() ? 0f : (float) p.temperature(),
        p.topK(),
        p.topP(),
        (float) p.minP(),
        (float) p.presencePenalty(),
        (float) p.frequencyPenalty(),
        sampler.sampleable(),
        sampler::nextUniform);
  }

  @Override
  public void close() {
    sequence.close();
  }
}
