package io.flashtensors.llm.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds added tokens in text the way Hugging Face's AddedVocabulary does: leftmost match first, the
 * longest token at that position, then lstrip/rstrip widen the match over white space.
 */
final class AddedTokenMatcher {

  /** A found token and the range of the text it covers. */
  record Match(AddedToken token, int start, int end) {}

  private final Map<Character, AddedToken[]> byFirstChar = new HashMap<>();
  private final boolean[] isFirstChar = new boolean[Character.MAX_VALUE + 1];
  private final boolean empty;

  AddedTokenMatcher(List<AddedToken> tokens) {
    Map<Character, List<AddedToken>> groups = new HashMap<>();
    for (AddedToken token : tokens) {
      if (!token.content().isEmpty()) {
        groups.computeIfAbsent(token.content().charAt(0), c -> new ArrayList<>()).add(token);
      }
    }
    groups.forEach(
        (c, list) -> {
          AddedToken[] sorted = list.toArray(AddedToken[]::new);
          Arrays.sort(
              sorted, Comparator.comparingInt((AddedToken t) -> t.content().length()).reversed());
          byFirstChar.put(c, sorted);
          isFirstChar[c] = true;
        });
    empty = byFirstChar.isEmpty();
  }

  /** The non-overlapping matches in {@code text}, left to right. */
  List<Match> find(String text) {
    if (empty) {
      return List.of();
    }
    List<Match> matches = null;
    int previousEnd = 0;
    int i = 0;
    while (i < text.length()) {
      if (!isFirstChar[text.charAt(i)]) {
        i++;
        continue;
      }
      AddedToken[] candidates = byFirstChar.get(text.charAt(i));
      AddedToken found = null;
      if (candidates != null) {
        for (AddedToken candidate : candidates) {
          if (text.startsWith(candidate.content(), i)) {
            found = candidate;
            break;
          }
        }
      }
      if (found == null) {
        i++;
        continue;
      }
      int start = i;
      int end = i + found.content().length();
      if (found.lstrip()) {
        while (start > previousEnd && UnicodeClasses.isWhiteSpace(text.charAt(start - 1))) {
          start--;
        }
      }
      if (found.rstrip()) {
        while (end < text.length() && UnicodeClasses.isWhiteSpace(text.charAt(end))) {
          end++;
        }
      }
      if (matches == null) {
        matches = new ArrayList<>();
      }
      matches.add(new Match(found, start, end));
      previousEnd = end;
      i = end;
    }
    return matches == null ? List.of() : matches;
  }
}
