package io.flashtensors.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.flashtensors.format.DType;
import io.flashtensors.format.ModelFiles;
import io.flashtensors.format.Safetensors;
import io.flashtensors.load.Device;
import io.flashtensors.load.DeviceMap;
import io.flashtensors.load.FlashLoader;
import io.flashtensors.load.LoadContext;
import io.flashtensors.load.LoadPlan;
import io.flashtensors.load.LoadTarget;
import io.flashtensors.load.LoadedModel;
import io.flashtensors.memory.Tensor;
import io.flashtensors.spring.actuate.FlashTensorsHealthIndicator;
import io.flashtensors.spring.actuate.FlashTensorsInfoContributor;
import io.flashtensors.spring.actuate.FlashTensorsMetrics;
import io.flashtensors.spring.actuate.ResidentPoolStatistics;
import io.flashtensors.spring.model.BackgroundGpuLoader;
import io.flashtensors.spring.model.ChatEngineFactory;
import io.flashtensors.spring.model.ModelSource;
import io.flashtensors.spring.model.ResolvedModel;
import io.flashtensors.spring.testing.FakeChatEngine;
import io.flashtensors.spring.testing.FakeChatEngine.Answer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.actuate.info.Info;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

class FlashTensorsActuatorAutoConfigurationTests {

  private final ApplicationContextRunner contextRunner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  FlashTensorsAutoConfiguration.class,
                  FlashTensorsChatAutoConfiguration.class,
                  FlashTensorsMetricsAutoConfiguration.class,
                  FlashTensorsHealthContributorAutoConfiguration.class,
                  FlashTensorsInfoContributorAutoConfiguration.class))
          .withUserConfiguration(FakeEngineConfiguration.class);

  @TempDir Path tempDir;

  @Test
  void runShouldCreateMetricsHealthAndInfo() {
    this.contextRunner.run(
        context -> {
          assertThat(context).hasSingleBean(FlashTensorsMetrics.class);
          assertThat(context).hasSingleBean(FlashTensorsHealthIndicator.class);
          assertThat(context).hasSingleBean(FlashTensorsInfoContributor.class);
          assertThat(context).hasBean("flashTensorsHealthIndicator");
        });
  }

  @Test
  void runWhenALoadCompletesShouldCountItInTheMeters() throws Exception {
    Path checkpoint = writeCheckpoint(this.tempDir);
    this.contextRunner.run(
        context -> {
          MeterRegistry registry = new SimpleMeterRegistry();
          context.getBean(FlashTensorsMetrics.class).bindTo(registry);

          try (LoadedModel loaded = context.getBean(FlashLoader.class).load(checkpoint)) {
            assertThat(loaded).isNotNull();
          }

          assertThat(registry.get("flashtensors.load.duration").functionTimer().count())
              .isEqualTo(1);
          assertThat(registry.get("flashtensors.load.bytes").functionCounter().count())
              .isEqualTo(java.nio.file.Files.size(checkpoint));
          assertThat(registry.get("flashtensors.load.throughput").gauge().value()).isPositive();
          assertThat(registry.get("flashtensors.load.failures").functionCounter().count()).isZero();
          assertThat(registry.get("flashtensors.models.resident").gauge().value()).isZero();
          assertThat(registry.find("flashtensors.pool.capacity").gauge()).isNull();
        });
  }

  @Test
  void runWhenALoadFailsShouldCountTheFailure() throws Exception {
    Path checkpoint = writeCheckpoint(this.tempDir);
    this.contextRunner.run(
        context -> {
          MeterRegistry registry = new SimpleMeterRegistry();
          context.getBean(FlashTensorsMetrics.class).bindTo(registry);

          assertThatThrownBy(
                  () ->
                      context
                          .getBean(FlashLoader.class)
                          .load(ModelFiles.open(checkpoint), DeviceMap.cpu(), new FailingTarget()))
              .hasMessage("no memory left");

          assertThat(registry.get("flashtensors.load.failures").functionCounter().count())
              .isEqualTo(1);
        });
  }

  @Test
  void runWhenAChatModelIsLoadedShouldReportItResidentHealthyAndInInfo() {
    this.contextRunner
        .withPropertyValues("flashtensors.chat.model=test/tiny-qwen3", "flashtensors.device=cpu")
        .run(
            context -> {
              MeterRegistry registry = new SimpleMeterRegistry();
              context.getBean(FlashTensorsMetrics.class).bindTo(registry);
              assertThat(registry.get("flashtensors.models.resident").gauge().value()).isEqualTo(1);

              Health health =
                  context.getBean("flashTensorsHealthIndicator", HealthIndicator.class).health();
              assertThat(health.getStatus()).isEqualTo(Status.UP);
              assertThat(health.getDetails()).containsEntry("device", "cpu");
              assertThat(asMap(health.getDetails().get("model")))
                  .containsEntry("id", "test/tiny-qwen3")
                  .containsEntry("loaded", true)
                  .containsEntry("device", "cpu")
                  .containsEntry("loadSeconds", 0.25);

              Info.Builder info = new Info.Builder();
              context.getBean(FlashTensorsInfoContributor.class).contribute(info);
              Map<String, Object> details = asMap(info.build().get("flashtensors"));
              assertThat(details).containsEntry("device", "cpu").containsKey("versions");
              assertThat(asMap(details.get("versions")))
                  .containsKeys("java", "springBoot", "springAi");
              assertThat((List<?>) details.get("models"))
                  .singleElement()
                  .satisfies(
                      model -> assertThat(asMap(model)).containsEntry("id", "test/tiny-qwen3"));
            });
  }

  @Test
  void runWhenTheModelFailedToLoadShouldReportDown() {
    this.contextRunner
        .withPropertyValues(
            "flashtensors.chat.model=test/broken", "flashtensors.chat.load-on-startup=false")
        .run(
            context -> {
              HealthIndicator indicator =
                  context.getBean("flashTensorsHealthIndicator", HealthIndicator.class);
              assertThat(indicator.health().getStatus()).isEqualTo(Status.UP);

              try {
                context.getBean(org.springframework.ai.chat.model.ChatModel.class).call("hi");
              } catch (IllegalStateException expected) {
                // the load failure shows in health below
              }

              Health health = indicator.health();
              assertThat(health.getStatus()).isEqualTo(Status.DOWN);
              assertThat(asMap(health.getDetails().get("model")))
                  .containsEntry("loaded", false)
                  .containsEntry("error", "weights are corrupt");
            });
  }

  @Test
  void runWhenAPoolIsPresentShouldMeterAndReportIt() {
    this.contextRunner
        .withBean(ResidentPoolStatistics.class, FixedPool::new)
        .run(
            context -> {
              MeterRegistry registry = new SimpleMeterRegistry();
              context.getBean(FlashTensorsMetrics.class).bindTo(registry);
              assertThat(registry.get("flashtensors.pool.capacity").gauge().value()).isEqualTo(8e9);
              assertThat(registry.get("flashtensors.pool.used").gauge().value()).isEqualTo(3e9);
              assertThat(registry.get("flashtensors.models.resident").gauge().value()).isEqualTo(2);
              assertThat(registry.get("flashtensors.cache.hits").functionCounter().count())
                  .isEqualTo(5);
              assertThat(registry.get("flashtensors.cache.evictions").functionCounter().count())
                  .isEqualTo(1);
              Health health =
                  context.getBean("flashTensorsHealthIndicator", HealthIndicator.class).health();
              assertThat(asMap(health.getDetails().get("pool")))
                  .containsEntry("usedBytes", 3_000_000_000L);
            });
  }

  @Test
  void runWhenTheDeviceIsAGpuWithoutCudaShouldReportThePoolDown() {
    this.contextRunner
        .withPropertyValues("flashtensors.device=cuda:0")
        .run(
            context -> {
              BackgroundGpuLoader gpu = context.getBean(BackgroundGpuLoader.class);
              await().atMost(Duration.ofSeconds(30)).until(() -> gpu.failure().isPresent());
              Health health =
                  context.getBean("flashTensorsHealthIndicator", HealthIndicator.class).health();
              assertThat(health.getStatus()).isEqualTo(Status.DOWN);
              assertThat(asMap(health.getDetails().get("pool"))).containsKey("error");
              MeterRegistry registry = new SimpleMeterRegistry();
              context.getBean(FlashTensorsMetrics.class).bindTo(registry);
              assertThat(registry.get("flashtensors.pool.capacity").gauge().value()).isZero();
            });
  }

  @Test
  void runWhenTheDeviceIsTheCpuShouldNotCreateAGpuLoader() {
    this.contextRunner
        .withPropertyValues("flashtensors.device=cpu")
        .run(context -> assertThat(context).doesNotHaveBean(BackgroundGpuLoader.class));
  }

  @Test
  void runWhenHealthIndicatorIsDisabledShouldNotCreateIt() {
    this.contextRunner
        .withPropertyValues("management.health.flashtensors.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(FlashTensorsHealthIndicator.class));
  }

  @Test
  void runWhenInfoContributorIsDisabledShouldNotCreateIt() {
    this.contextRunner
        .withPropertyValues("management.info.flashtensors.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(FlashTensorsInfoContributor.class));
  }

  @Test
  void runWhenMicrometerIsMissingShouldNotCreateMetrics() {
    this.contextRunner
        .withClassLoader(new FilteredClassLoader(MeterBinder.class))
        .run(
            context -> {
              assertThat(context).doesNotHaveBean(FlashTensorsMetrics.class);
              assertThat(context).hasSingleBean(FlashLoader.class);
            });
  }

  @Test
  void runWhenActuatorIsMissingShouldNotCreateHealthOrInfo() {
    this.contextRunner
        .withClassLoader(
            new FilteredClassLoader(
                HealthIndicator.class, org.springframework.boot.actuate.info.InfoContributor.class))
        .run(
            context -> {
              assertThat(context).doesNotHaveBean(FlashTensorsHealthIndicator.class);
              assertThat(context).doesNotHaveBean(FlashTensorsInfoContributor.class);
              assertThat(context).hasSingleBean(FlashTensorsMetrics.class);
            });
  }

  @Test
  void runWhenUserDefinesMetricsShouldBackOff() {
    this.contextRunner
        .withBean(
            "myMetrics",
            FlashTensorsMetrics.class,
            () -> new FlashTensorsMetrics(List::of, () -> null, List.of()))
        .run(
            context ->
                assertThat(context.getBean(FlashTensorsMetrics.class))
                    .isSameAs(context.getBean("myMetrics")));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asMap(Object value) {
    return (Map<String, Object>) value;
  }

  private static Path writeCheckpoint(Path folder) throws Exception {
    Path file = folder.resolve("model.safetensors");
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment data = arena.allocate(4096 * 4);
      for (int i = 0; i < 4096; i++) {
        data.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, i);
      }
      Safetensors.write(
          file, Map.of("w", new Tensor("w", DType.F32, new long[] {64, 64}, data)), Map.of());
    }
    return file;
  }

  /** A load target whose allocation fails, as a GPU out of memory would. */
  static final class FailingTarget implements LoadTarget<Void> {

    @Override
    public int alignment() {
      return 64;
    }

    @Override
    public void checkDevice(Device device) {}

    @Override
    public void begin(LoadPlan plan, LoadContext context) throws IOException {
      throw new IOException("no memory left");
    }

    @Override
    public MemorySegment acquire(LoadPlan.ReadChunk chunk) {
      throw new AssertionError();
    }

    @Override
    public void complete(LoadPlan.ReadChunk chunk, MemorySegment buffer) {}

    @Override
    public void release(LoadPlan.ReadChunk chunk, MemorySegment buffer) {}

    @Override
    public Void finish(LoadContext context) {
      throw new AssertionError();
    }

    @Override
    public void abort() {}
  }

  static final class FixedPool implements ResidentPoolStatistics {

    @Override
    public long capacityBytes() {
      return 8_000_000_000L;
    }

    @Override
    public long usedBytes() {
      return 3_000_000_000L;
    }

    @Override
    public int residentModels() {
      return 2;
    }

    @Override
    public long cacheHits() {
      return 5;
    }

    @Override
    public long cacheEvictions() {
      return 1;
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class FakeEngineConfiguration {

    @Bean
    ModelSource testModelSource() {
      return (model, policy) -> new ResolvedModel(model, Path.of("/models", model));
    }

    @Bean
    ChatEngineFactory testEngineFactory() {
      return model -> {
        if (model.id().equals("test/broken")) {
          throw new IllegalStateException("weights are corrupt");
        }
        return new FakeChatEngine(model.id(), 1, request -> Answer.words("hi"));
      };
    }
  }
}
