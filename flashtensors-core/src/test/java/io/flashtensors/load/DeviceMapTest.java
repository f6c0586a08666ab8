package io.flashtensors.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DeviceMapTest {

  @Test
  void emptyKeyMatchesEverything() {
    assertThat(DeviceMap.cpu().deviceFor("anything.at.all")).isEqualTo(Device.CPU);
    assertThat(DeviceMap.parse("{\"\": 0}").deviceFor("x")).isEqualTo(Device.cuda(0));
  }

  @Test
  void prefixesMatchAtDotBoundariesAndTheLongestWins() {
    DeviceMap map =
        DeviceMap.parse(
            "{\"\": \"cpu\", \"model.layers.1\": \"cuda:1\", \"model.layers.1.mlp\": 2}");
    assertThat(map.deviceFor("model.layers.1.self_attn.q_proj.weight")).isEqualTo(Device.cuda(1));
    assertThat(map.deviceFor("model.layers.1.mlp.up_proj.weight")).isEqualTo(Device.cuda(2));
    assertThat(map.deviceFor("model.layers.10.mlp.up_proj.weight")).isEqualTo(Device.CPU);
    assertThat(map.deviceFor("model.layers.1")).isEqualTo(Device.cuda(1));
  }

  @Test
  void singleDeviceShorthand() {
    assertThat(DeviceMap.parse("cpu")).isEqualTo(DeviceMap.cpu());
    assertThat(DeviceMap.parse("cuda:3").devices()).containsExactly(Device.cuda(3));
    assertThat(DeviceMap.parse("cuda").devices()).containsExactly(Device.cuda(0));
  }

  @Test
  void badMapsAreRejectedWithTheText() {
    assertThatThrownBy(() -> DeviceMap.parse("{\"\": \"tpu\"}"))
        .hasMessageContaining("unknown device 'tpu'");
    assertThatThrownBy(() -> DeviceMap.parse("{\"\": "))
        .hasMessageContaining("device map is not JSON");
    assertThatThrownBy(() -> DeviceMap.parse("{}")).hasMessageContaining("at least one entry");
    assertThatThrownBy(() -> DeviceMap.parse("{\"\": [0]}")).hasMessageContaining("not a device");
  }

  @Test
  void hostTargetRefusesGpuDevicesBeforeAllocatingAnything(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    try (var arena = java.lang.foreign.Arena.ofConfined()) {
      io.flashtensors.format.FlashLayout.save(
          io.flashtensors.format.TestTensors.everyDtype(arena, 1), dir.resolve("m"));
    }
    RecordingTarget target = new RecordingTarget();
    assertThatThrownBy(
            () -> FlashLoader.create().load(dir.resolve("m"), DeviceMap.parse("cuda:0"), target))
        .hasMessageContaining("device cuda:0 needs the GPU load path");
    assertThat(target.acquired).hasValue(0);
    assertThat(target.aborted).hasValue(0);
  }
}
