package io.flashtensors.spring.autoconfigure;

import io.flashtensors.cuda.Cuda;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches when {@code flashtensors.device} asks for a GPU ({@code cuda}, {@code cuda:N}, a UUID),
 * or is {@code auto} (the default) and the CUDA driver reports a device.
 */
final class OnGpuDeviceCondition extends SpringBootCondition {

  @Override
  public ConditionOutcome getMatchOutcome(
      ConditionContext context, AnnotatedTypeMetadata metadata) {
    String device = context.getEnvironment().getProperty("flashtensors.device", "auto").strip();
    if (device.startsWith("cuda") || device.startsWith("GPU-")) {
      return ConditionOutcome.match("flashtensors.device is " + device);
    }
    if (device.equals("auto")) {
      var cuda = Cuda.availability();
      return cuda.available()
          ? ConditionOutcome.match("flashtensors.device is auto and CUDA reports a device")
          : ConditionOutcome.noMatch(
              "flashtensors.device is auto and CUDA is unavailable: " + cuda.reason());
    }
    return ConditionOutcome.noMatch("flashtensors.device is " + device);
  }
}
