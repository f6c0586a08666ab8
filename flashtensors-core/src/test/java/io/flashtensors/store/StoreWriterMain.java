package io.flashtensors.store;

import java.nio.file.Path;

/** Registers models from a second process, for the store's cross-process test. */
public final class StoreWriterMain {

  private StoreWriterMain() {}

  /**
   * Arguments: store root, source folder, id prefix, count. Opens the store before every
   * registration, as separate CLI runs do, so that its cleanup of {@code .tmp/} races with the
   * other writers' conversions.
   */
  public static void main(String[] args) {
    for (int i = 0; i < Integer.parseInt(args[3]); i++) {
      ModelStore.open(Path.of(args[0]))
          .register(
              ModelId.parse("proc/" + args[2] + i),
              "main",
              Path.of(args[1]),
              new CopyingConverter(),
              RegisterOptions.local(),
              Progress.NONE);
    }
  }
}
