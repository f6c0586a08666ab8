package io.flashtensors.sample;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "flashtensors.chat.model=" + FakeEngineConfiguration.MODEL)
@Import(FakeEngineConfiguration.class)
class SampleApplicationTests {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final HttpClient http = HttpClient.newHttpClient();

  @LocalServerPort int port;

  @Test
  void postChatAnswersWithJson() throws Exception {
    JsonNode answer = JSON.readTree(post("/api/chat", "{\"message\":\"hello there\"}").body());

    assertThat(answer.get("answer").asString()).isEqualTo("You said: hello there");
    assertThat(answer.get("model").asString()).isEqualTo(FakeEngineConfiguration.MODEL);
    assertThat(answer.get("device").asString()).isEqualTo("cpu");
    assertThat(answer.get("finishReason").asString()).isEqualTo("stop");
    assertThat(answer.get("completionTokens").asInt()).isEqualTo(4);
    assertThat(answer.get("reasoning").asString()).isEmpty();
  }

  @Test
  void postChatKeepsTheConversation() throws Exception {
    JsonNode first = JSON.readTree(post("/api/chat", "{\"message\":\"one\"}").body());
    String id = first.get("conversationId").asString();

    JsonNode second =
        JSON.readTree(
            post("/api/chat", "{\"message\":\"two\",\"conversationId\":\"" + id + "\"}").body());

    // user, assistant, user: 3 messages of 5 prompt tokens each in the fake
    assertThat(second.get("promptTokens").asInt()).isEqualTo(15);
    assertThat(second.get("conversationId").asString()).isEqualTo(id);
  }

  @Test
  void postChatWithoutMessageIsABadRequest() throws Exception {
    HttpResponse<String> response = post("/api/chat", "{\"message\":\"  \"}");

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.body()).contains("message must not be empty");
  }

  @Test
  void streamSendsReasoningAndAnswerPiecesThenDone() throws Exception {
    HttpResponse<String> response =
        get(
            "/api/chat/stream?think=true&message="
                + URLEncoder.encode("hi you", StandardCharsets.UTF_8));

    assertThat(response.headers().firstValue("content-type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("text/event-stream"));
    List<String[]> events = parseEvents(response.body());
    assertThat(events)
        .extracting(e -> e[0])
        .containsExactly("start", "reasoning", "answer", "answer", "answer", "answer", "done");
    StringBuilder answer = new StringBuilder();
    for (String[] event : events) {
      if (event[0].equals("answer")) {
        answer.append(JSON.readTree(event[1]).get("t").asString());
      }
    }
    assertThat(answer).hasToString("You said: hi you");
    JsonNode done = JSON.readTree(events.getLast()[1]);
    assertThat(done.get("finishReason").asString()).isEqualTo("stop");
    assertThat(done.get("completionTokens").asInt()).isEqualTo(5);
    assertThat(done.get("model").asString()).isEqualTo(FakeEngineConfiguration.MODEL);
  }

  @Test
  void modelEndpointTellsWhatAnswers() throws Exception {
    JsonNode model = JSON.readTree(get("/api/model").body());

    assertThat(model.get("available").asBoolean()).isTrue();
    assertThat(model.get("bundled").asBoolean()).isFalse();
    assertThat(model.get("id").asString()).isEqualTo(FakeEngineConfiguration.MODEL);
    assertThat(model.get("device").asString()).isEqualTo("cpu");
    assertThat(model.get("loadSeconds").asDouble()).isEqualTo(0.42);
  }

  @Test
  void actuatorShowsHealthInfoMetricsAndPrometheus() throws Exception {
    post("/api/chat", "{\"message\":\"count me\"}");

    JsonNode health = JSON.readTree(get("/actuator/health").body());
    assertThat(health.get("status").asString()).isEqualTo("UP");
    JsonNode flash = health.get("components").get("flashTensors");
    assertThat(flash.get("status").asString()).isEqualTo("UP");
    assertThat(flash.get("details").get("model").get("id").asString())
        .isEqualTo(FakeEngineConfiguration.MODEL);

    JsonNode info = JSON.readTree(get("/actuator/info").body());
    assertThat(info.get("flashtensors").get("models").get(0).get("device").asString())
        .isEqualTo("cpu");

    String metrics = get("/actuator/metrics").body();
    assertThat(metrics)
        .contains("flashtensors.load.duration", "flashtensors.models.resident")
        .contains("gen_ai.client.operation", "gen_ai.client.token.usage");

    String prometheus = get("/actuator/prometheus").body();
    assertThat(prometheus)
        .contains("gen_ai_client_operation_seconds_count{")
        .contains("gen_ai_client_token_usage_total{")
        .contains("gen_ai_system=\"flashtensors\"")
        .contains("flashtensors_models_resident");
  }

  static List<String[]> parseEvents(String body) {
    List<String[]> events = new ArrayList<>();
    for (String block : body.split("\n\n")) {
      String name = "message";
      StringBuilder data = new StringBuilder();
      for (String line : block.split("\n")) {
        if (line.startsWith("event:")) {
          name = line.substring(6).strip();
        } else if (line.startsWith("data:")) {
          data.append(line.substring(5));
        }
      }
      if (!data.isEmpty()) {
        events.add(new String[] {name, data.toString()});
      }
    }
    return events;
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return this.http.send(
        HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String json)
      throws IOException, InterruptedException {
    return this.http.send(
        HttpRequest.newBuilder(uri(path))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://localhost:" + this.port + path);
  }
}
