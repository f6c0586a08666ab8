package io.flashtensors.store;

import java.nio.file.Path;

/** Registers models from a second process, for the store's cross-process test. */
public final class StoreWriterMain {

  private StoreWriterMain() {}

  /** Arguments: store root, source folder, id prefix, count. */
  public static void main(String[] args) {
    ModelStore store = ModelStore.open(Path.of(args[0]));
    for (int i = 0; i < Integer.parseInt(args[3]); i++) {
      store.register(
          ModelId.parse("proc/" + args[2] + i),
          "main",
          Path.of(args[1]),
          new CopyingConverter(),
          RegisterOptions.local(),
          Progress.NONE);
    }
  }
}
