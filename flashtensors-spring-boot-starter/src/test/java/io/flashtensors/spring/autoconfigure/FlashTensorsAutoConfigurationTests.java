package io.flashtensors.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import io.flashtensors.load.FlashLoader;
import io.flashtensors.spring.model.LocalModelSource;
import io.flashtensors.spring.model.ModelSource;
import io.flashtensors.spring.model.PullPolicy;
import io.flashtensors.spring.model.ResolvedModel;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.unit.DataSize;

class FlashTensorsAutoConfigurationTests {

  private final ApplicationContextRunner contextRunner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(FlashTensorsAutoConfiguration.class));

  @Test
  void runShouldCreateLoaderAndModelSourceWithDefaults() {
    this.contextRunner.run(
        context -> {
          assertThat(context).hasSingleBean(FlashLoader.class).hasSingleBean(ModelSource.class);
          FlashTensorsProperties properties = context.getBean(FlashTensorsProperties.class);
          assertThat(properties.getStoragePath())
              .isEqualTo(Path.of(System.getProperty("user.home"), ".flashtensors", "models"));
          assertThat(properties.getChunkSize()).isEqualTo(DataSize.ofMegabytes(32));
          assertThat(properties.getMemPoolSize()).isNull();
          assertThat(properties.getNumThreads()).isNull();
          assertThat(properties.getGpuMemoryUtilization()).isEqualTo(0.9);
          assertThat(properties.getDevice()).isEqualTo("auto");
          assertThat(properties.getServer().isEnabled()).isFalse();
          assertThat(properties.getServer().getHost()).isEqualTo("127.0.0.1");
          assertThat(properties.getServer().getPort()).isEqualTo(8073);
          FlashTensorsProperties.Chat chat = properties.getChat();
          assertThat(chat.isEnabled()).isTrue();
          assertThat(chat.getModel()).isNull();
          assertThat(chat.getPullOnStartup()).isEqualTo(PullPolicy.NEVER);
          assertThat(chat.isLoadOnStartup()).isTrue();
          assertThat(chat.getQueueSize()).isEqualTo(16);
          assertThat(chat.getWaitTimeout()).isEqualTo(Duration.ofSeconds(60));
          assertThat(chat.getStop()).isEmpty();
          assertThat(chat.getThinking()).isNull();
          FlashLoader loader = context.getBean(FlashLoader.class);
          assertThat(loader.chunkSize()).isEqualTo(32L << 20);
        });
  }

  @Test
  void runWhenPropertiesAreSetShouldBindThem() {
    this.contextRunner
        .withPropertyValues(
            "flashtensors.storage-path=/data/models",
            "flashtensors.mem-pool-size=2GB",
            "flashtensors.chunk-size=16MB",
            "flashtensors.num-threads=3",
            "flashtensors.gpu-memory-utilization=0.8",
            "flashtensors.device=cuda:1",
            "flashtensors.server.enabled=true",
            "flashtensors.server.host=10.0.0.5",
            "flashtensors.server.port=9000",
            "flashtensors.chat.model=Qwen/Qwen3-0.6B",
            "flashtensors.chat.pull-on-startup=when-missing",
            "flashtensors.chat.load-on-startup=false",
            "flashtensors.chat.temperature=0.6",
            "flashtensors.chat.top-p=0.95",
            "flashtensors.chat.top-k=20",
            "flashtensors.chat.min-p=0.05",
            "flashtensors.chat.max-tokens=256",
            "flashtensors.chat.seed=42",
            "flashtensors.chat.stop=END,###",
            "flashtensors.chat.presence-penalty=0.5",
            "flashtensors.chat.frequency-penalty=0.25",
            "flashtensors.chat.thinking=false",
            "flashtensors.chat.queue-size=4",
            "flashtensors.chat.wait-timeout=5s")
        .run(
            context -> {
              FlashTensorsProperties properties = context.getBean(FlashTensorsProperties.class);
              assertThat(properties.getStoragePath()).isEqualTo(Path.of("/data/models"));
              assertThat(properties.getMemPoolSize()).isEqualTo(DataSize.ofGigabytes(2));
              assertThat(properties.getNumThreads()).isEqualTo(3);
              assertThat(properties.getGpuMemoryUtilization()).isEqualTo(0.8);
              assertThat(properties.getDevice()).isEqualTo("cuda:1");
              assertThat(properties.getServer().isEnabled()).isTrue();
              assertThat(properties.getServer().getHost()).isEqualTo("10.0.0.5");
              assertThat(properties.getServer().getPort()).isEqualTo(9000);
              FlashTensorsProperties.Chat chat = properties.getChat();
              assertThat(chat.getPullOnStartup()).isEqualTo(PullPolicy.WHEN_MISSING);
              assertThat(chat.isLoadOnStartup()).isFalse();
              assertThat(chat.getQueueSize()).isEqualTo(4);
              assertThat(chat.getWaitTimeout()).isEqualTo(Duration.ofSeconds(5));
              var options = chat.toOptions();
              assertThat(options.getModel()).isEqualTo("Qwen/Qwen3-0.6B");
              assertThat(options.getTemperature()).isEqualTo(0.6);
              assertThat(options.getTopP()).isEqualTo(0.95);
              assertThat(options.getTopK()).isEqualTo(20);
              assertThat(options.getMinP()).isEqualTo(0.05);
              assertThat(options.getMaxTokens()).isEqualTo(256);
              assertThat(options.getSeed()).isEqualTo(42L);
              assertThat(options.getStopSequences()).containsExactly("END", "###");
              assertThat(options.getPresencePenalty()).isEqualTo(0.5);
              assertThat(options.getFrequencyPenalty()).isEqualTo(0.25);
              assertThat(options.getThinking()).isFalse();
              FlashLoader loader = context.getBean(FlashLoader.class);
              assertThat(loader.chunkSize()).isEqualTo(16L << 20);
              assertThat(loader.threads()).isEqualTo(3);
              assertThat(loader.poolSize()).isEqualTo(2L << 30);
              assertThat(context.getBean(LocalModelSource.class).storagePath())
                  .isEqualTo(Path.of("/data/models"));
            });
  }

  @Test
  void runWhenDeviceIsUnknownShouldFailWithTheAllowedValues() {
    this.contextRunner
        .withPropertyValues("flashtensors.device=tpu")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining(
                        "flashtensors.device must be auto, cpu, cuda:N or a GPU UUID")
                    .hasMessageContaining("'tpu'"));
  }

  @Test
  void runWhenGpuMemoryUtilizationIsOutOfRangeShouldFail() {
    this.contextRunner
        .withPropertyValues("flashtensors.gpu-memory-utilization=1.5")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("gpu-memory-utilization must be in (0, 1], was 1.5"));
  }

  @Test
  void runWhenChunkSizeIsZeroShouldFail() {
    this.contextRunner
        .withPropertyValues("flashtensors.chunk-size=0")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("flashtensors.chunk-size must be more than 0"));
  }

  @Test
  void runWhenUserDefinesLoaderShouldBackOff() {
    this.contextRunner
        .withUserConfiguration(UserLoaderConfiguration.class)
        .run(
            context ->
                assertThat(context)
                    .hasSingleBean(FlashLoader.class)
                    .getBean(FlashLoader.class)
                    .isSameAs(context.getBean("myLoader")));
  }

  @Test
  void runWhenUserDefinesModelSourceShouldBackOff() {
    this.contextRunner
        .withUserConfiguration(UserModelSourceConfiguration.class)
        .run(
            context -> {
              assertThat(context).hasSingleBean(ModelSource.class);
              assertThat(context).doesNotHaveBean(LocalModelSource.class);
            });
  }

  @Configuration(proxyBeanMethods = false)
  static class UserLoaderConfiguration {

    @Bean
    FlashLoader myLoader() {
      return FlashLoader.builder().threads(1).build();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class UserModelSourceConfiguration {

    @Bean
    ModelSource myModelSource() {
      return (model, policy) -> new ResolvedModel(model, Path.of("/models", model));
    }
  }
}
