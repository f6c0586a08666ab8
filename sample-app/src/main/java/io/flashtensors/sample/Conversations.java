package io.flashtensors.sample;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.stereotype.Component;

/**
 * The last turns of recent conversations, in memory: enough for the page to keep context, bounded
 * so that a busy demo cannot grow without limit.
 */
@Component
class Conversations {

  private static final int MAX_CONVERSATIONS = 200;
  private static final int MAX_MESSAGES = 20;

  private final Map<String, List<Message>> conversations =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, List<Message>> eldest) {
          return size() > MAX_CONVERSATIONS;
        }
      };

  /** A new id when {@code id} is blank. */
  String idOrNew(String id) {
    return id == null || id.isBlank() ? UUID.randomUUID().toString() : id;
  }

  synchronized List<Message> history(String id) {
    return List.copyOf(this.conversations.getOrDefault(id, List.of()));
  }

  synchronized void append(String id, String question, String answer) {
    List<Message> messages = new ArrayList<>(this.conversations.getOrDefault(id, List.of()));
    messages.add(new UserMessage(question));
    messages.add(new AssistantMessage(answer));
    if (messages.size() > MAX_MESSAGES) {
      messages = new ArrayList<>(messages.subList(messages.size() - MAX_MESSAGES, messages.size()));
    }
    this.conversations.put(id, messages);
  }
}
