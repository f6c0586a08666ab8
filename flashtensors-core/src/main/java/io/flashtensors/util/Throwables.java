package io.flashtensors.util;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Set;

/** Recording a cleanup failure beside the failure that is being reported. */
public final class Throwables {

  private Throwables() {}

  /**
   * Adds {@code secondary} to {@code primary}'s suppressed exceptions, unless that would hide or
   * repeat something: {@code secondary} is null, is {@code primary} itself ({@link
   * Throwable#addSuppressed} would throw {@code IllegalArgumentException} and replace the real
   * failure), is already among {@code primary}'s causes or suppressed exceptions (a sticky failure
   * rethrown by every later call), or holds {@code primary} (the suppression would make a cycle).
   *
   * @return {@code primary}, for {@code throw Throwables.suppress(e, cleanup)}
   */
  public static <T extends Throwable> T suppress(T primary, Throwable secondary) {
    if (secondary == null) {
      return primary;
    }
    // Throwable synchronizes its own suppressed list on itself: this makes check and add atomic.
    synchronized (primary) {
      if (!reaches(primary, secondary) && !reaches(secondary, primary)) {
        primary.addSuppressed(secondary);
      }
    }
    return primary;
  }

  /**
   * Whether {@code wanted} is {@code root} or lies among its causes and suppressed, at any depth.
   */
  private static boolean reaches(Throwable root, Throwable wanted) {
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    Deque<Throwable> todo = new ArrayDeque<>();
    todo.push(root);
    while (!todo.isEmpty()) {
      Throwable t = todo.pop();
      if (t == wanted) {
        return true;
      }
      if (!seen.add(t)) {
        continue;
      }
      if (t.getCause() != null) {
        todo.push(t.getCause());
      }
      for (Throwable s : t.getSuppressed()) {
        todo.push(s);
      }
    }
    return false;
  }
}
