package io.flashtensors.llm.qwen3.cuda;

import java.util.ArrayList;
import java.util.List;
import jcuda.Pointer;

/**
 * The parameters of one kernel launch, in the kernel's order, each as a value of exactly the
 * parameter's size (device addresses and {@code size_t} as 64 bits).
 */
final class KernelArgs {

  private final List<Pointer> values = new ArrayList<>(16);

  static KernelArgs of() {
    return new KernelArgs();
  }

  /** A device address ({@code T*}); 0 is a null pointer. */
  KernelArgs ptr(long address) {
    values.add(Pointer.to(new long[] {address}));
    return this;
  }

  KernelArgs i32(int value) {
    values.add(Pointer.to(new int[] {value}));
    return this;
  }

  KernelArgs f32(float value) {
    values.add(Pointer.to(new float[] {value}));
    return this;
  }

  KernelArgs f64(double value) {
    values.add(Pointer.to(new double[] {value}));
    return this;
  }

  /** The {@code kernelParams} array {@code cuLaunchKernel} takes. */
  Pointer toPointer() {
    return Pointer.to(values.toArray(Pointer[]::new));
  }
}
