package io.flashtensors.server;

import java.lang.reflect.Field;
import jcuda.driver.CUipcMemHandle;

/**
 * The 64 bytes of a {@link CUipcMemHandle}. JCuda keeps them in a private field ({@code reserved})
 * without an accessor, so they are read and written by reflection; this works while JCuda is on the
 * class path (not on the module path).
 */
public final class IpcHandles {

  /** Bytes of a CUDA IPC memory handle ({@code CU_IPC_HANDLE_SIZE}). */
  public static final int SIZE = 64;

  private static final Field RESERVED;

  static {
    try {
      RESERVED = CUipcMemHandle.class.getDeclaredField("reserved");
      RESERVED.setAccessible(true);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(
          "this JCuda version hides CUipcMemHandle's bytes differently: " + e);
    }
  }

  private IpcHandles() {}

  /** The handle's bytes (a copy). */
  public static byte[] toBytes(CUipcMemHandle handle) {
    try {
      byte[] bytes = (byte[]) RESERVED.get(handle);
      if (bytes == null || bytes.length != SIZE) {
        throw new IllegalStateException(
            "a CUipcMemHandle with " + (bytes == null ? 0 : bytes.length) + " bytes");
      }
      return bytes.clone();
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A handle holding {@code bytes}. */
  public static CUipcMemHandle fromBytes(byte[] bytes) {
    if (bytes.length != SIZE) {
      throw new IllegalArgumentException(
          "a CUDA IPC handle has " + SIZE + " bytes, not " + bytes.length);
    }
    CUipcMemHandle handle = new CUipcMemHandle();
    try {
      RESERVED.set(handle, bytes.clone());
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
    return handle;
  }
}
