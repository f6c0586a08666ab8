package io.flashtensors.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** The CUDA layer's behaviour that needs no GPU: availability, parsing, errors. */
class CudaTest {

  @Test
  void availabilityIsConsistentWithWhatRequestsDo() {
    CudaAvailability a = Cuda.availability();
    if (a.available()) {
      assertThat(a.deviceCount()).isPositive();
      assertThatCode(Cuda::requireAvailable).doesNotThrowAnyException();
      assertThat(Cuda.devices()).hasSize(a.deviceCount());
    } else {
      assertThat(a.reason()).isNotBlank();
      assertThat(Cuda.deviceCount()).isZero();
      assertThat(Cuda.devices()).isEmpty();
      String expected = "CUDA is not available: " + a.reason();
      assertThatThrownBy(Cuda::requireAvailable)
          .isInstanceOf(CudaUnavailableException.class)
          .hasMessage(expected);
      assertThatThrownBy(() -> Cuda.device(0)).hasMessage(expected);
      assertThatThrownBy(() -> Cuda.device("cuda:0")).hasMessage(expected);
      assertThatThrownBy(() -> Cuda.device("GPU-1234")).hasMessage(expected);
    }
  }

  @Test
  void aMissingDriverLibraryIsNamed() {
    CudaAvailability a = Cuda.availability();
    if (!a.available() && a.result() == CudaException.NO_RESULT) {
      assertThat(a.reason()).containsAnyOf("libcuda.so.1", "nvcuda.dll", "JCuda's native");
    }
    UnsatisfiedLinkError jcudaStyle =
        new UnsatisfiedLinkError(
            "Error while loading native library \"JCudaDriver-12.6.0-linux-x86_64\"\n"
                + "java.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver.so: libcuda.so.1: cannot"
                + " open shared object file: No such file or directory");
    assertThat(Cuda.describe(jcudaStyle))
        .isEqualTo(
            "the NVIDIA driver library libcuda.so.1 was not found (no NVIDIA driver on this"
                + " machine?)");
    assertThat(Cuda.describe(new UnsatisfiedLinkError("no JCudaDriver in java.library.path\nmore")))
        .isEqualTo(
            "JCuda's native driver library could not be loaded: no JCudaDriver in"
                + " java.library.path");
  }

  @Test
  void deviceSpecificationsParseAsIndices() {
    assertThat(Cuda.parseIndex("0")).isZero();
    assertThat(Cuda.parseIndex("cuda:3")).isEqualTo(3);
    assertThat(Cuda.parseIndex("cuda:")).isNull();
    assertThat(Cuda.parseIndex("cuda:-1")).isNull();
    assertThat(Cuda.parseIndex("gpu-5c3c")).isNull();
    assertThat(Cuda.parseIndex("99999999999")).isNull();
  }

  @Test
  void unknownDeviceSpecificationsAreRejected() {
    assertThatThrownBy(() -> Cuda.device("tpu:0"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a GPU: 'tpu:0'");
    if (Cuda.isAvailable()) {
      assertThatThrownBy(() -> Cuda.device(Cuda.deviceCount()))
          .hasMessageContaining("out of range");
    }
  }

  @Test
  void uuidsPrintLikeNvidiaSmi() {
    byte[] bytes = new byte[16];
    for (int i = 0; i < 16; i++) {
      bytes[i] = (byte) (0xa0 + i);
    }
    assertThat(CudaDevice.formatUuid(bytes)).isEqualTo("GPU-a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf");
  }

  @Test
  void errorsCarryTheDriversErrorName() {
    CudaException e = new CudaException("cuMemAlloc(1024 bytes on GPU 0)", 2);
    assertThat(e).hasMessage("cuMemAlloc(1024 bytes on GPU 0) failed: CUDA_ERROR_OUT_OF_MEMORY");
    assertThat(e.errorName()).isEqualTo("CUDA_ERROR_OUT_OF_MEMORY");
    assertThat(e.isOutOfMemory()).isTrue();
    assertThat(new CudaException("cuInit", 100).errorName()).isEqualTo("CUDA_ERROR_NO_DEVICE");
  }

  @Test
  void hostPointersNeedNativeMemory() {
    assertThatThrownBy(() -> CudaPointers.host(MemorySegment.ofArray(new byte[8])))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("native");
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment s = arena.allocate(64);
      assertThat(CudaPointers.host(s).toString())
          .contains("nativePointer=0x" + Long.toHexString(s.address()))
          .contains("byteOffset=0");
    }
  }
}
