package io.flashtensors.bench;

import io.flashtensors.format.DType;
import io.flashtensors.llm.cpu.ParallelRunner;
import io.flashtensors.llm.generate.ForwardPass;
import io.flashtensors.llm.qwen3.Qwen3Config;
import io.flashtensors.llm.qwen3.Qwen3Weights;
import io.flashtensors.llm.qwen3.cpu.CpuQwen3Backend;
import io.flashtensors.memory.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import tools.jackson.databind.json.JsonMapper;

public class Scratch {
  public static void main(String[] a) throws Exception {
    String cfg =
        """
      {"architectures": ["Qwen3ForCausalLM"], "bos_token_id": 151643, "eos_token_id": 151645, "head_dim": 128,
       "hidden_size": 1024, "intermediate_size": 3072, "max_position_embeddings": 40960, "model_type": "qwen3",
       "num_attention_heads": 16, "num_hidden_layers": 28, "num_key_value_heads": 8, "rms_norm_eps": 1e-06,
       "rope_theta": 1000000, "tie_word_embeddings": true, "vocab_size": 151936}""";
    Qwen3Config c = Qwen3Config.parse(JsonMapper.builder().build().readTree(cfg));
    Arena arena = Arena.ofShared();
    Map<String, Tensor> t = new LinkedHashMap<>();
    SplittableRandom rnd = new SplittableRandom(1);
    long total = 0;
    for (var e : Qwen3Weights.expectedShapes(c).entrySet()) {
      long n = Tensor.numel(e.getValue());
      MemorySegment seg = arena.allocate(n * 2, 4096);
      boolean norm = e.getValue().length == 1;
      for (long i = 0; i < n; i++) {
        float f =
            norm ? 1f + (float) rnd.nextGaussian() * 0.1f : (float) rnd.nextGaussian() * 0.02f;
        seg.setAtIndex(
            ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (Float.floatToIntBits(f) >>> 16));
      }
      total += n * 2;
      t.put(e.getKey(), new Tensor(e.getKey(), DType.BF16, e.getValue(), seg));
    }
    System.out.printf("weights %.3f GB%n", total / 1e9);
    int threads = Integer.parseInt(a.length > 0 ? a[0] : "2");
    // bandwidth
    ParallelRunner r = new ParallelRunner(threads);
    MemorySegment[] segs = t.values().stream().map(Tensor::data).toArray(MemorySegment[]::new);
    for (int rep = 0; rep < 5; rep++) {
      long t0 = System.nanoTime();
      long[] sink = new long[r.maxChunks()];
      for (MemorySegment s : segs) {
        long words = s.byteSize() / 8;
        r.forRange(
            (int) Math.min(Integer.MAX_VALUE, (words + 4095) / 4096),
            Long.MAX_VALUE,
            (ch, st, en) -> {
              long acc = 0;
              long lo = st * 4096L, hi = Math.min(words, en * 4096L);
              for (long i = lo; i < hi; i++)
                acc += s.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i);
              sink[ch] += acc;
            });
      }
      long dt = System.nanoTime() - t0;
      System.out.printf("read %.2f GB/s%n", total / (dt / 1e9) / 1e9);
    }
    Qwen3Weights w = Qwen3Weights.bind(c, t, "rand");
    try (CpuQwen3Backend b = new CpuQwen3Backend(c, w, r, 32);
        ForwardPass p = b.newForwardPass(512)) {
      int[] prompt = new int[16];
      for (int i = 0; i < 16; i++) prompt[i] = rnd.nextInt(151936);
      long t0 = System.nanoTime();
      p.forward(prompt, 0, 16);
      System.out.printf("prefill 16: %.1f ms%n", (System.nanoTime() - t0) / 1e6);
      int[] step = {1};
      for (int rep = 0; rep < 4; rep++) {
        t0 = System.nanoTime();
        int n = 16;
        for (int i = 0; i < n; i++) {
          step[0] = (step[0] * 31 + 7) % 151936;
          p.forward(step, 0, 1);
        }
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("decode %.2f tok/s (%.2f GB/s)%n", n / s, n * total / s / 1e9);
      }
    }
  }
}
