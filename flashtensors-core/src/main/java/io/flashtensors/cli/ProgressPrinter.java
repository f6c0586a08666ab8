package io.flashtensors.cli;

import io.flashtensors.format.Progress;
import io.flashtensors.load.LoadListener;
import io.flashtensors.util.ByteSize;
import java.io.PrintWriter;

/**
 * Prints progress of a conversion or load to the error stream: a line every 10%, or a line updated
 * in place on a terminal. Thread-safe.
 */
final class ProgressPrinter implements Progress, LoadListener {

  private final PrintWriter out;
  private final String label;
  private final boolean terminal = System.console() != null && System.console().isTerminal();
  private long lastPrintNanos;
  private int lastDecile = -1;
  private boolean open;

  ProgressPrinter(PrintWriter out, String label) {
    this.out = out;
    this.label = label;
  }

  @Override
  public synchronized void update(long done, long total) {
    int percent = total == 0 ? 100 : (int) (done * 100 / total);
    long now = System.nanoTime();
    if (terminal) {
      if (now - lastPrintNanos > 200_000_000L || done == total) {
        out.printf(
            "\r%s: %3d%% (%s of %s)",
            label, percent, ByteSize.format(done), ByteSize.format(total));
        out.flush();
        lastPrintNanos = now;
        open = true;
      }
    } else if (percent / 10 > lastDecile) {
      lastDecile = percent / 10;
      out.printf(
          "%s: %d%% (%s of %s)%n", label, percent, ByteSize.format(done), ByteSize.format(total));
      out.flush();
    }
  }

  @Override
  public void onProgress(long bytesDone, long bytesTotal) {
    update(bytesDone, bytesTotal);
  }

  /** Ends an in-place line, if one is open. */
  synchronized void finish() {
    if (open) {
      out.println();
      out.flush();
      open = false;
    }
  }
}
