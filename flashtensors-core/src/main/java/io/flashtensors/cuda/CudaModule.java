package io.flashtensors.cuda;

import static io.flashtensors.cuda.Cuda.check;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * Compiled kernels loaded into a context with {@code cuModuleLoadData}: a fatbin (cubins plus PTX,
 * what the build ships), a cubin, or PTX text (compiled by the driver at load, about 100 ms).
 */
public final class CudaModule implements AutoCloseable {

  private static final int FATBIN_MAGIC = 0xBA55ED50;

  private final CudaContext context;
  private final String name;
  private final CUmodule handle;
  private boolean closed;

  private CudaModule(CudaContext context, String name, CUmodule handle) {
    this.context = context;
    this.name = name;
    this.handle = handle;
  }

  static CudaModule load(CudaContext context, String name, byte[] image) {
    if (image.length == 0) {
      throw new IllegalArgumentException("module " + name + " is empty");
    }
    byte[] data = isBinary(image) ? image : nulTerminated(image);
    context.makeCurrent();
    CUmodule module = new CUmodule();
    check(JCudaDriver.cuModuleLoadData(module, data), "cuModuleLoadData(" + name + ")");
    return new CudaModule(context, name, module);
  }

  static CudaModule loadResource(CudaContext context, String resource) {
    byte[] image;
    try (InputStream in = CudaModule.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalArgumentException("no class-path resource " + resource);
      }
      image = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + resource + ": " + e.getMessage(), e);
    }
    return load(context, resource, image);
  }

  /** Fatbins and ELF cubins go as they are; PTX text needs a terminating NUL. */
  private static boolean isBinary(byte[] image) {
    if (image.length >= 4) {
      int le =
          (image[0] & 0xff)
              | (image[1] & 0xff) << 8
              | (image[2] & 0xff) << 16
              | (image[3] & 0xff) << 24;
      boolean elf = image[0] == 0x7f && image[1] == 'E' && image[2] == 'L' && image[3] == 'F';
      return le == FATBIN_MAGIC || elf;
    }
    return false;
  }

  private static byte[] nulTerminated(byte[] text) {
    return text[text.length - 1] == 0 ? text : Arrays.copyOf(text, text.length + 1);
  }

  /** The kernel {@code kernelName} (declare kernels {@code extern "C"} to keep names plain). */
  public CUfunction function(String kernelName) {
    if (closed) {
      throw new IllegalStateException("module " + name + " is unloaded");
    }
    context.makeCurrent();
    CUfunction function = new CUfunction();
    int rc = JCudaDriver.cuModuleGetFunction(function, handle, kernelName);
    if (rc == CUresult.CUDA_ERROR_NOT_FOUND) {
      throw new CudaException(
          "kernel '%s' not found in module %s (%s)"
              .formatted(kernelName, name, CudaException.nameOf(rc)),
          rc,
          null);
    }
    check(rc, "cuModuleGetFunction(" + kernelName + ")");
    return function;
  }

  /** The context the module lives in. */
  public CudaContext context() {
    return context;
  }

  /** Unloads the module. Closing twice does nothing. */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      context.makeCurrent();
      check(JCudaDriver.cuModuleUnload(handle), "cuModuleUnload(" + name + ")");
    }
  }
}
