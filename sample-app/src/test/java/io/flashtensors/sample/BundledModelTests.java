package io.flashtensors.sample;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * With no model configured the app serves the tiny Qwen3 bundled with it, offline, through the real
 * engine; its greedy answers are the ones Hugging Face transformers gives for the same chat.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {BundledModelTests.GREEDY, BundledModelTests.SHORT})
class BundledModelTests {

  static final String GREEDY = "flashtensors.chat.temperature=0";
  static final String SHORT = "flashtensors.chat.max-tokens=24";

  static final JsonMapper JSON = JsonMapper.builder().build();

  /** The first chat of the fixture's reference: a user question, thinking off. */
  static final JsonNode REFERENCE =
      JSON.readTree(Path.of("../fixtures/models/qwen3-tiny-random/reference.json").toFile())
          .get("prompts")
          .get(0);

  static String question() {
    return REFERENCE.get("messages").get(0).get("content").asString();
  }

  static String greedyAnswer() {
    return REFERENCE.get("greedy_text").asString();
  }

  private final HttpClient http = HttpClient.newHttpClient();

  @LocalServerPort int port;

  @Test
  void theModelEndpointSaysTheBundledModelAnswers() throws Exception {
    JsonNode model = JSON.readTree(get("/api/model").body());

    assertThat(model.get("bundled").asBoolean()).isTrue();
    assertThat(model.get("available").asBoolean()).isTrue();
    assertThat(model.get("id").asString()).isEqualTo(BundledModel.MODEL_NAME);
    assertThat(model.get("device").asString()).isEqualTo("cpu");
    assertThat(model.get("loadSeconds").asDouble()).isPositive();
    assertThat(model.get("note").asString()).contains("tiny test model bundled with the sample");
  }

  @Test
  void postChatAnswersLikeTransformers() throws Exception {
    HttpResponse<String> response =
        this.http.send(
            HttpRequest.newBuilder(uri("/api/chat"))
                .header("content-type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        JSON.writeValueAsString(java.util.Map.of("message", question()))))
                .build(),
            HttpResponse.BodyHandlers.ofString());

    JsonNode answer = JSON.readTree(response.body());
    assertThat(answer.get("answer").asString()).isEqualTo(greedyAnswer());
    assertThat(answer.get("promptTokens").asInt()).isEqualTo(REFERENCE.get("input_ids").size());
    assertThat(answer.get("finishReason").asString()).isEqualTo("length");
  }

  @Test
  void streamedPiecesMakeTheSameAnswer() throws Exception {
    String body =
        get("/api/chat/stream?message=" + URLEncoder.encode(question(), StandardCharsets.UTF_8))
            .body();

    StringBuilder answer = new StringBuilder();
    int pieces = 0;
    for (String[] event : SampleApplicationTests.parseEvents(body)) {
      if (event[0].equals("answer")) {
        pieces++;
        answer.append(JSON.readTree(event[1]).get("t").asString());
      }
    }
    assertThat(answer).hasToString(greedyAnswer());
    assertThat(pieces).isGreaterThan(10);
  }

  private HttpResponse<String> get(String path) throws Exception {
    return this.http.send(
        HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://localhost:" + this.port + path);
  }
}
