package io.flashtensors.spring.autoconfigure;

import io.flashtensors.load.LoadListener;
import io.flashtensors.load.LoadMetrics;
import io.flashtensors.load.LoadPlan;
import java.util.List;

/** Tells every listener bean about every load, in bean order. */
final class CompositeLoadListener implements LoadListener {

  private final List<LoadListener> listeners;

  private CompositeLoadListener(List<LoadListener> listeners) {
    this.listeners = List.copyOf(listeners);
  }

  static LoadListener of(List<LoadListener> listeners) {
    return switch (listeners.size()) {
      case 0 -> LoadListener.NONE;
      case 1 -> listeners.getFirst();
      default -> new CompositeLoadListener(listeners);
    };
  }

  @Override
  public void onStart(LoadPlan plan) {
    this.listeners.forEach(listener -> listener.onStart(plan));
  }

  @Override
  public void onProgress(long bytesDone, long bytesTotal) {
    this.listeners.forEach(listener -> listener.onProgress(bytesDone, bytesTotal));
  }

  @Override
  public void onComplete(LoadMetrics metrics) {
    this.listeners.forEach(listener -> listener.onComplete(metrics));
  }

  @Override
  public void onFailure(Throwable error) {
    this.listeners.forEach(listener -> listener.onFailure(error));
  }
}
