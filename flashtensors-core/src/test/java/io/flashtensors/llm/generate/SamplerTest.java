package io.flashtensors.llm.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flashtensors.llm.qwen3.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

class SamplerTest {

  static Stream<Arguments> hfWarperResults() {
    JsonNode root = Fixtures.json(Fixtures.root().resolve("sampling/hf-logits-warpers.json"));
    List<Arguments> args = new ArrayList<>();
    for (JsonNode r : root.get("results")) {
      JsonNode vector = root.get("vectors").get(r.get("vector").asInt());
      args.add(Arguments.of(r.get("setting").toString() + " vector " + r.get("vector"), r, vector));
    }
    return args.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hfWarperResults")
  void distributionMatchesTransformersWarpers(String name, JsonNode result, JsonNode vector) {
    JsonNode s = result.get("setting");
    SamplingParams params =
        new SamplingParams(
            s.get("temperature").asDouble(),
            s.get("top_k").asInt(),
            s.get("top_p").asDouble(),
            s.get("min_p").isNull() ? 0 : s.get("min_p").asDouble(),
            0,
            0,
            1);
    float[] logits = new float[vector.size()];
    for (int i = 0; i < logits.length; i++) {
      logits[i] = (float) vector.get(i).asDouble();
    }
    float[] ours = new Sampler(params, logits.length).distribution(logits);
    List<Integer> kept = new ArrayList<>();
    for (int i = 0; i < ours.length; i++) {
      if (ours[i] > 0) {
        kept.add(i);
      }
    }
    List<Integer> hfKept = new ArrayList<>();
    result.get("kept").forEach(n -> hfKept.add(n.asInt()));
    assertThat(kept).isEqualTo(hfKept);
    for (int i = 0; i < ours.length; i++) {
      assertThat((double) ours[i])
          .as("p[%d]", i)
          .isCloseTo(
              result.get("probs").get(i).asDouble(), org.assertj.core.data.Offset.offset(1e-6));
    }
  }

  @Test
  void greedyTakesTheFirstLargestLogit() {
    Sampler sampler = new Sampler(SamplingParams.greedy(), 5);
    assertThat(sampler.sample(new float[] {0, 3, 1, 3, -2})).isEqualTo(1);
  }

  @Test
  void penaltiesApplyToGeneratedTokensByCountAndPresence() {
    // frequency 1.0: token 0 generated twice loses 2; presence 0.5 on top: 2.5 in all
    Sampler sampler = new Sampler(new SamplingParams(0, 0, 1, 0, 0.5, 1.0, 1), 3);
    sampler.accept(0);
    sampler.accept(0);
    assertThat(sampler.sample(new float[] {3.0f, 0.6f, 0.0f})).isEqualTo(1);
    assertThat(sampler.sample(new float[] {3.0f, 0.4f, 0.0f})).isEqualTo(0);
    assertThat(sampler.count(0)).isEqualTo(2);
  }

  @Test
  void sameSeedGivesSameTokensAndOtherSeedsDiffer() {
    float[] logits = new float[64];
    for (int i = 0; i < logits.length; i++) {
      logits[i] = (float) Math.sin(i * 0.37);
    }
    assertThat(draws(logits, 42, 50)).isEqualTo(draws(logits, 42, 50));
    assertThat(draws(logits, 42, 50)).isNotEqualTo(draws(logits, 43, 50));
  }

  @Test
  void drawsFollowTheDistribution() {
    float[] logits = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.2)};
    int[] hits = new int[3];
    for (int token : draws(logits, 7, 20_000)) {
      hits[token]++;
    }
    assertThat(hits[0] / 20_000.0).isCloseTo(0.5, org.assertj.core.data.Offset.offset(0.015));
    assertThat(hits[1] / 20_000.0).isCloseTo(0.3, org.assertj.core.data.Offset.offset(0.015));
    assertThat(hits[2] / 20_000.0).isCloseTo(0.2, org.assertj.core.data.Offset.offset(0.015));
  }

  @Test
  void topKKeepsTiesWithTheKthLogit() {
    Sampler sampler = new Sampler(new SamplingParams(1, 2, 1, 0, 0, 0, 1), 4);
    float[] p = sampler.distribution(new float[] {1, 2, 1, 0});
    assertThat(p[0]).isPositive();
    assertThat(p[1]).isPositive();
    assertThat(p[2]).isPositive();
    assertThat(p[3]).isZero();
  }

  @Test
  void tinyTopPKeepsTheMostLikelyToken() {
    Sampler sampler = new Sampler(new SamplingParams(1, 0, 1e-9, 0, 0, 0, 1), 4);
    assertThat(sampler.distribution(new float[] {0.1f, 0.3f, 0.2f, 0.0f}))
        .containsExactly(0f, 1f, 0f, 0f);
  }

  @Test
  void idsBeyondTheTokenizerAreNeverChosen() {
    float[] logits = {0, 1, 5, 9};
    assertThat(new Sampler(SamplingParams.greedy(), 4, 2).sample(logits)).isEqualTo(1);
    Sampler sampling = new Sampler(new SamplingParams(1, 3, 1, 0, 0, 0, 5), 4, 2);
    assertThat(sampling.distribution(logits)[2]).isZero();
    assertThat(sampling.distribution(logits)[3]).isZero();
    for (int i = 0; i < 100; i++) {
      assertThat(sampling.sample(logits)).isLessThan(2);
    }
  }

  @Test
  void rejectsInvalidSettings() {
    assertThatThrownBy(() -> new SamplingParams(-1, 0, 1, 0, 0, 0, 0))
        .hasMessageContaining("temperature");
    assertThatThrownBy(() -> new SamplingParams(1, -1, 1, 0, 0, 0, 0))
        .hasMessageContaining("top-k");
    assertThatThrownBy(() -> new SamplingParams(1, 0, 0, 0, 0, 0, 0)).hasMessageContaining("top-p");
    assertThatThrownBy(() -> new SamplingParams(1, 0, 1, 2, 0, 0, 0)).hasMessageContaining("min-p");
    assertThatThrownBy(() -> new Sampler(SamplingParams.greedy(), 3).sample(new float[2]))
        .hasMessageContaining("expected 3 logits");
  }

  private static List<Integer> draws(float[] logits, long seed, int n) {
    Sampler sampler = new Sampler(new SamplingParams(1, 0, 1, 0, 0, 0, seed), logits.length);
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(sampler.sample(logits));
    }
    return out;
  }
}
