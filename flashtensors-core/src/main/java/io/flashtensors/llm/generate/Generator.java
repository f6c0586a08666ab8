package io.flashtensors.llm.generate;

import io.flashtensors.llm.FinishReason;
import io.flashtensors.llm.GenerationTimings;
import java.util.Arrays;

/**
 * The generation loop, the same for every backend: prefill the prompt, then sample, stream and feed
 * back one token at a time until a stop token, a stop sequence, the token limit, the end of the
 * context or the listener ends it.
 */
public final class Generator {

  private Generator() {}

  /**
   * Generates from {@code request.promptIds()} appended to whatever {@code pass} already holds.
   *
   * @param decoder turns tokens into text (null: no text, no stop sequences)
   */
  public static GenerationResult generate(
      ForwardPass pass,
      IncrementalDecoder decoder,
      GenerationRequest request,
      GenerationListener listener) {
    if (decoder == null && !request.stopSequences().isEmpty()) {
      throw new IllegalArgumentException("stop sequences need a tokenizer to decode the output");
    }
    int[] prompt = request.promptIds();
    if (pass.position() + prompt.length >= pass.contextLength()) {
      throw new IllegalArgumentException(
          "the prompt (%d tokens) leaves no room to generate in a context of %d tokens"
              .formatted(pass.position() + prompt.length, pass.contextLength()));
    }
    long start = System.nanoTime();
    pass.forward(prompt, 0, prompt.length);
    float[] promptLastLogits = pass.logits().clone();
    Sampler sampler =
        new Sampler(
            request.sampling(),
            pass.vocabSize(),
            Math.min(request.sampleableTokens(), pass.vocabSize()));
    StopSequenceFilter stops = new StopSequenceFilter(request.stopSequences());
    StringBuilder text = new StringBuilder();
    int[] out = new int[Math.min(request.maxTokens(), 1024)];
    int count = 0;
    int[] step = new int[1];
    long firstTokenAt = 0;
    FinishReason finish;
    while (true) {
      int token = pass.sample(sampler);
      sampler.accept(token);
      if (count == out.length) {
        out = Arrays.copyOf(out, Math.min(request.maxTokens(), out.length * 2));
      }
      out[count++] = token;
      if (count == 1) {
        firstTokenAt = System.nanoTime();
      }
      if (request.stopTokenIds().contains(token)) {
        finish = FinishReason.STOP;
        break;
      }
      String released = decoder == null ? "" : stops.push(decoder.push(token));
      text.append(released);
      if (stops.matched()) {
        listener.onToken(token, released);
        finish = FinishReason.STOP;
        break;
      }
      if (!listener.onToken(token, released)) {
        finish = FinishReason.CANCELLED;
        break;
      }
      if (count == request.maxTokens() || pass.position() + 1 >= pass.contextLength()) {
        finish = FinishReason.LENGTH;
        break;
      }
      step[0] = token;
      pass.forward(step, 0, 1);
    }
    long end = System.nanoTime();
    if (decoder != null && !stops.matched()) {
      String tail = stops.push(decoder.finish()) + stops.flush();
      if (!tail.isEmpty()) {
        text.append(tail);
        if (finish != FinishReason.CANCELLED) {
          listener.onToken(-1, tail);
        }
      }
    }
    return new GenerationResult(
        Arrays.copyOf(out, count),
        text.toString(),
        prompt.length,
        count,
        finish,
        new GenerationTimings(firstTokenAt - start, end - firstTokenAt, count - 1),
        promptLastLogits,
        request.sampling().seed());
  }
}
