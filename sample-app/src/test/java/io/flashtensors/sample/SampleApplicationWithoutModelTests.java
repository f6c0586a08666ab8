package io.flashtensors.sample;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/** Without a chat model the app still starts, and says why it cannot answer. */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "flashtensors.chat.enabled=false")
class SampleApplicationWithoutModelTests {

  private final HttpClient http = HttpClient.newHttpClient();

  @LocalServerPort int port;

  @Test
  void pageApiAndHealthExplainThatThereIsNoModel() throws Exception {
    assertThat(get("/api/model").body())
        .contains("\"available\":false")
        .contains("set flashtensors.chat.model");

    HttpResponse<String> chat =
        this.http.send(
            HttpRequest.newBuilder(uri("/api/chat"))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"message\":\"hi\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(chat.statusCode()).isEqualTo(503);
    assertThat(chat.body()).contains("no chat model");

    assertThat(get("/api/chat/stream?message=hi").body())
        .contains("event:error")
        .contains("no chat model");
    assertThat(get("/actuator/health").statusCode()).isEqualTo(200);
    assertThat(get("/").body()).contains("flashtensors chat");
  }

  private HttpResponse<String> get(String path) throws Exception {
    return this.http.send(
        HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://localhost:" + this.port + path);
  }
}
