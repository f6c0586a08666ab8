package io.flashtensors.util;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class ThrowablesTest {

  @Test
  void suppressShouldAddADistinctCleanupFailure() {
    IOException failure = new IOException("read failed");
    IllegalStateException cleanup = new IllegalStateException("release failed");

    assertThat(Throwables.suppress(failure, cleanup)).isSameAs(failure);

    assertThat(failure.getSuppressed()).containsExactly(cleanup);
  }

  @Test
  void suppressWhenItIsTheSameFailureShouldKeepItAsItIs() {
    IOException failure = new IOException("sticky");

    // Throwable.addSuppressed(itself) throws IllegalArgumentException instead.
    assertThat(Throwables.suppress(failure, failure)).isSameAs(failure);

    assertThat(failure.getSuppressed()).isEmpty();
  }

  @Test
  void suppressWhenAlreadyRecordedShouldNotRepeatIt() {
    IOException failure = new IOException("first");
    RuntimeException sticky = new RuntimeException("sticky");

    Throwables.suppress(failure, sticky);
    Throwables.suppress(failure, sticky);
    Throwables.suppress(failure, null);

    assertThat(failure.getSuppressed()).containsExactly(sticky);
  }

  @Test
  void suppressWhenOneHoldsTheOtherShouldNotMakeACycle() {
    IOException root = new IOException("disk");
    RuntimeException wrapper = new RuntimeException("copy failed", root);

    Throwables.suppress(root, wrapper); // wrapper's cause is root: root -> wrapper -> root
    Throwables.suppress(wrapper, root); // root is wrapper's cause already

    assertThat(root.getSuppressed()).isEmpty();
    assertThat(wrapper.getSuppressed()).isEmpty();
  }
}
