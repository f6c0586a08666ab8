package io.flashtensors.llm.qwen3.cpu;

import io.flashtensors.llm.cpu.ParallelRunner;
import io.flashtensors.llm.cpu.WeightMatrix;
import io.flashtensors.llm.generate.ForwardPass;
import io.flashtensors.llm.generate.ModelBackend;
import io.flashtensors.llm.qwen3.Qwen3Config;
import io.flashtensors.llm.qwen3.Qwen3Weights;
import io.flashtensors.llm.qwen3.Rope;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

/**
 * Qwen3 on the CPU: BF16 and F32 weights are read in place from the segments the loader mapped (F16
 * is widened to F32 once); arithmetic is float32 with Vector API kernels split over all cores.
 */
public final class CpuQwen3Backend implements ModelBackend {

  /** Tokens of a prompt processed together (each weight row is read once per block). */
  public static final int DEFAULT_PREFILL_BLOCK = 32;

  /** The weights in the form the CPU kernels read. */
  record Weights(WeightMatrix embed, List<Layer> layers, float[] norm, WeightMatrix lmHead) {}

  /** One decoder layer in the form the CPU kernels read. */
  record Layer(
      float[] inputNorm,
      WeightMatrix q,
      WeightMatrix k,
      WeightMatrix v,
      float[] qNorm,
      float[] kNorm,
      WeightMatrix o,
      float[] postAttentionNorm,
      WeightMatrix gate,
      WeightMatrix up,
      WeightMatrix down) {}

  private final Qwen3Config config;
  private final Weights weights;
  private final Rope rope;
  private final ParallelRunner runner;
  private final Arena arena;
  private final int prefillBlock;

  /**
   * @param threads worker threads of the kernels (0: one per available processor)
   * @param prefillBlock tokens of a prompt processed together (at least 1)
   */
  public CpuQwen3Backend(Qwen3Config config, Qwen3Weights weights, int threads, int prefillBlock) {
    this(
        config,
        weights,
        new ParallelRunner(
            threads > 0 ? threads : Runtime.getRuntime().availableProcessors(),
            ParallelRunner.DEFAULT_MIN_PARALLEL_WORK),
        prefillBlock);
  }

  /**
   * A backend on the given runner, which it owns (and closes).
   *
   * @param prefillBlock tokens of a prompt processed together (at least 1)
   */
  public CpuQwen3Backend(
      Qwen3Config config, Qwen3Weights weights, ParallelRunner runner, int prefillBlock) {
    if (prefillBlock < 1) {
      throw new IllegalArgumentException("prefill block must be at least 1, not " + prefillBlock);
    }
    this.config = config;
    this.rope = new Rope(config);
    this.prefillBlock = prefillBlock;
    this.arena = Arena.ofShared();
    this.runner = runner;
    try {
      this.weights = prepare(weights, arena);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** A backend on all cores with the default prefill block. */
  public CpuQwen3Backend(Qwen3Config config, Qwen3Weights weights) {
    this(config, weights, 0, DEFAULT_PREFILL_BLOCK);
  }

  private static Weights prepare(Qwen3Weights w, Arena arena) {
    List<Layer> layers = new ArrayList<>(w.layers().size());
    for (Qwen3Weights.Layer l : w.layers()) {
      layers.add(
          new Layer(
              WeightMatrix.vector(l.inputNorm()),
              WeightMatrix.of(l.qProj(), arena),
              WeightMatrix.of(l.kProj(), arena),
              WeightMatrix.of(l.vProj(), arena),
              WeightMatrix.vector(l.qNorm()),
              WeightMatrix.vector(l.kNorm()),
              WeightMatrix.of(l.oProj(), arena),
              WeightMatrix.vector(l.postAttentionNorm()),
              WeightMatrix.of(l.gateProj(), arena),
              WeightMatrix.of(l.upProj(), arena),
              WeightMatrix.of(l.downProj(), arena)));
    }
    WeightMatrix embed = WeightMatrix.of(w.embedTokens(), arena);
    WeightMatrix lmHead =
        w.lmHead() == w.embedTokens() ? embed : WeightMatrix.of(w.lmHead(), arena);
    return new Weights(embed, layers, WeightMatrix.vector(w.norm()), lmHead);
  }

  @Override
  public String device() {
    return "cpu";
  }

  public Qwen3Config config() {
    return config;
  }

  /** Worker threads of the kernels. */
  public int threads() {
    return runner.threads();
  }

  @Override
  public ForwardPass newForwardPass(int contextLength) {
    if (contextLength < 1) {
      throw new IllegalArgumentException("context length must be at least 1, not " + contextLength);
    }
    return new CpuQwen3ForwardPass(config, weights, rope, runner, contextLength, prefillBlock);
  }

  @Override
  public void close() {
    runner.close();
    arena.close();
  }
}
