package io.flashtensors.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.JCudaDriver;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The CUDA layer on a real GPU. */
@Tag("gpu")
class CudaGpuTest {

  private static CudaContext ctx;

  @BeforeAll
  static void needsCuda() {
    assumeTrue(Cuda.isAvailable(), () -> "GPU tests skipped: " + Cuda.availability().reason());
    ctx = Cuda.device(0).context();
  }

  static MemorySegment random(Arena arena, long bytes, long seed) {
    MemorySegment s = arena.allocate(bytes, 4096);
    Random r = new Random(seed);
    for (long i = 0; i < bytes; i += 8) {
      s.set(ValueLayout.JAVA_LONG_UNALIGNED, i, r.nextLong());
    }
    return s;
  }

  @Test
  void devicesAreFoundByIndexAndUuid() {
    CudaDevice d = Cuda.device(0);
    assertThat(d.name()).isNotBlank();
    assertThat(d.uuid())
        .matches("GPU-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    assertThat(Cuda.device(d.uuid())).isSameAs(d);
    assertThat(Cuda.device(d.uuid().substring(0, 12))).isSameAs(d);
    assertThat(Cuda.device("cuda:0")).isSameAs(d);
    assertThat(d.totalMemory()).isGreaterThan(1L << 30);
    assertThat(d.memoryInfo().total()).isEqualTo(d.totalMemory());
    assertThatThrownBy(() -> Cuda.device("GPU-ffffffff-0000"))
        .hasMessageContaining("no GPU has UUID");
  }

  @Test
  void bytesSurviveARoundTripThroughPinnedAndPageableMemory() {
    long bytes = 48L << 20;
    try (Arena arena = Arena.ofConfined();
        PinnedBuffer pinned = ctx.allocatePinned(bytes);
        DeviceBuffer device = ctx.allocate(bytes + 4096);
        CudaStream stream = ctx.createStream();
        CudaEvent done = ctx.createEvent()) {
      MemorySegment source = random(arena, bytes, 42);
      pinned.segment().copyFrom(source);
      device.fill((byte) 0x5a);
      device.copyFromHostAsync(4096, pinned.segment(), stream);
      done.record(stream);
      done.synchronize();
      assertThat(done.isComplete()).isTrue();
      assertThat(stream.isIdle()).isTrue();

      MemorySegment back = arena.allocate(bytes, 4096);
      device.copyToHost(4096, back);
      assertThat(back.mismatch(source)).isEqualTo(-1);

      MemorySegment head = arena.allocate(4096);
      device.copyToHost(0, head);
      for (long i = 0; i < 4096; i++) {
        assertThat(head.get(ValueLayout.JAVA_BYTE, i)).isEqualTo((byte) 0x5a);
      }

      MemorySegment pageable = random(arena, 1 << 20, 7);
      device.copyFromHost(0, pageable);
      MemorySegment check = arena.allocate(1 << 20);
      JCudaDriver.cuMemcpyDtoH(
          CudaPointers.host(check), CudaPointers.device(device.address()), 1 << 20);
      assertThat(check.mismatch(pageable)).isEqualTo(-1);
    }
  }

  @Test
  void outOfMemoryIsACudaErrorAndLeaksNothing() {
    MemoryInfo before = ctx.memoryInfo();
    assertThatThrownBy(() -> ctx.allocate(before.total() + (1L << 30)))
        .isInstanceOfSatisfying(
            CudaException.class,
            e -> {
              assertThat(e.isOutOfMemory()).isTrue();
              assertThat(e.errorName()).isEqualTo("CUDA_ERROR_OUT_OF_MEMORY");
              assertThat(e).hasMessageContaining("cuMemAlloc(");
            });
    // The driver returns its own 2 MiB bookkeeping pages lazily; a leak would be 1 GiB here.
    assertThat(ctx.memoryInfo().free())
        .isCloseTo(before.free(), org.assertj.core.data.Offset.offset(2L << 20));
  }

  @Test
  void memoryComesBackWhenBuffersClose() {
    long before = ctx.memoryInfo().free();
    DeviceBuffer b = ctx.allocate(1L << 30);
    assertThat(ctx.memoryInfo().free()).isLessThanOrEqualTo(before - (1L << 30));
    b.close();
    b.close();
    assertThat(ctx.memoryInfo().free())
        .isCloseTo(before, org.assertj.core.data.Offset.offset(2L << 20));
    assertThatThrownBy(() -> b.pointer(0)).hasMessageContaining("freed");
  }

  @Test
  void registeredHugePageMemoryCopiesAsynchronously() {
    long bytes = 3L << 30; // more than one PinnedBuffer may hold
    try (RegisteredBuffer host = ctx.allocateRegistered(bytes);
        DeviceBuffer device = ctx.allocate(bytes);
        CudaStream stream = ctx.createStream();
        Arena arena = Arena.ofConfined()) {
      MemorySegment tail = random(arena, 16 << 20, 9);
      host.segment().asSlice(bytes - tail.byteSize()).copyFrom(tail);
      device.copyFromHostAsync(0, host.segment(), stream);
      stream.synchronize();
      MemorySegment back = arena.allocate(tail.byteSize());
      device.copyToHost(bytes - tail.byteSize(), back);
      assertThat(back.mismatch(tail)).isEqualTo(-1);
    }
  }

  @Test
  void pinnedBlocksOfTwoGibibytesAreRefusedClearly() {
    assertThatThrownBy(() -> ctx.allocatePinned(2L << 30))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("under 2 GiB");
  }

  @Test
  void kernelsLoadFromAFatbinAndRun() {
    int n = 1 << 20;
    try (CudaModule module = ctx.loadModuleResource("/kernels/test_kernels.fatbin");
        DeviceBuffer out = ctx.allocate(4L * n);
        CudaStream stream = ctx.createStream();
        Arena arena = Arena.ofConfined()) {
      CUfunction iota = module.function("iota_u32");
      Pointer params =
          Pointer.to(
              Pointer.to(out.pointer()),
              Pointer.to(new int[] {n}),
              Pointer.to(new int[] {3}),
              Pointer.to(new int[] {11}));
      ctx.makeCurrent();
      Cuda.check(
          JCudaDriver.cuLaunchKernel(
              iota, (n + 255) / 256, 1, 1, 256, 1, 1, 0, stream.handle(), params, null),
          "cuLaunchKernel");
      stream.synchronize();
      MemorySegment host = arena.allocate(4L * n);
      out.copyToHost(0, host);
      for (int i = 0; i < n; i++) {
        assertThat(host.getAtIndex(ValueLayout.JAVA_INT, i)).isEqualTo(i * 3 + 11);
      }
      assertThatThrownBy(() -> module.function("missing"))
          .isInstanceOfSatisfying(
              CudaException.class,
              e -> assertThat(e.errorName()).isEqualTo("CUDA_ERROR_NOT_FOUND"));
    }
  }

  @Test
  void timingEventsMeasureACopy() {
    long bytes = 256L << 20;
    try (PinnedBuffer pinned = ctx.allocatePinned(bytes);
        DeviceBuffer device = ctx.allocate(bytes);
        CudaStream stream = ctx.createStream();
        CudaEvent start = ctx.createTimingEvent();
        CudaEvent end = ctx.createTimingEvent()) {
      pinned.segment().fill((byte) 3);
      start.record(stream);
      device.copyFromHostAsync(0, pinned.segment(), stream);
      end.record(stream);
      end.synchronize();
      float ms = end.elapsedMillisSince(start);
      assertThat(ms).isPositive();
      System.out.printf("pinned H2D 256 MiB: %.3f ms, %.1f GB/s%n", ms, bytes / (ms * 1e6));
    }
  }
}
