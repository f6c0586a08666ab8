package io.flashtensors.cli;

import io.flashtensors.store.Progress;
import io.flashtensors.util.ByteSize;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * Shows the progress of a pull, conversion or load on the error stream. On a terminal it is a bar
 * redrawn in place with the rate and the time left; otherwise (a pipe, a log file) it writes a
 * plain line every 10% and at the end of each stage, so logs stay short. Thread-safe.
 */
final class ProgressBar implements Progress {

  private static final int WIDTH = 30;
  private static final long REDRAW_NANOS = 100_000_000L;

  private final PrintWriter out;
  private final boolean terminal;
  private String stage;
  private long stageStart;
  private long lastDraw;
  private int lastDecile;
  private boolean lineOpen;
  private boolean stageDone;

  /**
   * @param terminal draw an in-place bar (true when {@code System.console()} is there)
   */
  ProgressBar(PrintWriter out, boolean terminal) {
    this.out = out;
    this.terminal = terminal;
  }

  /** A bar on the error stream when attached to a terminal, plain lines otherwise. */
  static ProgressBar on(PrintWriter err) {
    // Since Java 22 System.console() exists also when the output is redirected; ask it.
    java.io.Console console = System.console();
    return new ProgressBar(err, console != null && console.isTerminal());
  }

  @Override
  public synchronized void update(String stage, long done, long total) {
    long now = System.nanoTime();
    if (!stage.equals(this.stage)) {
      finish();
      this.stage = stage;
      stageStart = now;
      lastDecile = -1;
      lastDraw = 0;
      stageDone = false;
    }
    if (stageDone) {
      return;
    }
    boolean complete = total >= 0 && done >= total;
    double seconds = Math.max(1e-9, (now - stageStart) / 1e9);
    double rate = done / seconds;
    if (terminal) {
      if (now - lastDraw < REDRAW_NANOS && !complete) {
        return;
      }
      lastDraw = now;
      out.print("\r" + line(stage, done, total, rate, seconds, complete) + "\u001b[K");
      lineOpen = true;
      if (complete) {
        out.println();
        lineOpen = false;
      }
      out.flush();
    } else {
      int decile = total > 0 ? (int) Math.min(10, done * 10 / total) : -1;
      if (complete || decile > lastDecile) {
        lastDecile = decile;
        out.println(line(stage, done, total, rate, seconds, complete));
        out.flush();
      }
    }
    if (complete) {
      stageDone = true;
    }
  }

  private static String line(
      String stage, long done, long total, double rate, double seconds, boolean complete) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%-9s", stage));
    if (total > 0) {
      int filled = (int) Math.min(WIDTH, done * WIDTH / total);
      sb.append(" [")
          .append("#".repeat(filled))
          .append(".".repeat(WIDTH - filled))
          .append("] ")
          .append(String.format(Locale.ROOT, "%3d%%", (int) Math.min(100, done * 100 / total)));
      sb.append(' ').append(ByteSize.format(done)).append(" / ").append(ByteSize.format(total));
    } else {
      sb.append(' ').append(ByteSize.format(done));
    }
    if (seconds >= 0.05) {
      // Earlier rates are noise (a first burst over microseconds).
      sb.append(String.format(Locale.ROOT, "  %s/s", ByteSize.format((long) rate)));
    }
    if (complete) {
      sb.append(String.format(Locale.ROOT, "  %.1f s", seconds));
    } else if (total > 0 && rate > 0 && seconds >= 0.05) {
      sb.append(String.format(Locale.ROOT, "  %.0f s left", (total - done) / rate));
    }
    return sb.toString();
  }

  /** Ends an in-place line, if one is open. */
  synchronized void finish() {
    if (lineOpen) {
      out.println();
      out.flush();
      lineOpen = false;
    }
  }
}
