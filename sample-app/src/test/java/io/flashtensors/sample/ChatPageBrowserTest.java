package io.flashtensors.sample;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;

/**
 * A person's view: headless Chromium (Debian's chromium and chromium-driver, which .ci/run
 * installs) opens the page, types a question, and watches the answer stream in.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "flashtensors.chat.model=" + FakeEngineConfiguration.MODEL)
@Import(FakeEngineConfiguration.class)
class ChatPageBrowserTest {

  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

  @LocalServerPort int port;

  @TempDir Path profile;

  private WebDriver browser;

  @BeforeEach
  void openBrowser() {
    assertThat(CHROMIUM)
        .as("headless Chromium; install it with: apt-get install -y chromium chromium-driver")
        .satisfies(path -> assertThat(Files.isExecutable(path)).isTrue());
    assertThat(Files.isExecutable(CHROMEDRIVER)).as("chromedriver at " + CHROMEDRIVER).isTrue();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toString());
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--user-data-dir=" + this.profile);
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
    this.browser = new ChromeDriver(service, options);
  }

  @AfterEach
  void closeBrowser() {
    if (this.browser != null) {
      this.browser.quit();
    }
  }

  @Test
  void aQuestionTypedOnThePageGetsAStreamedAnswer() {
    this.browser.get("http://localhost:" + this.port + "/");
    WebDriverWait wait = new WebDriverWait(this.browser, Duration.ofSeconds(20));
    wait.until(
        driver ->
            FakeEngineConfiguration.MODEL.equals(driver.findElement(By.id("model-id")).getText()));
    assertThat(this.browser.findElement(By.id("model-device")).getText()).isEqualTo("cpu");
    assertThat(this.browser.findElement(By.id("model-load")).getText()).isEqualTo("0.42 s");

    this.browser.findElement(By.id("question")).sendKeys("what is streaming in a browser test");
    this.browser.findElement(By.id("send")).click();

    // Sample the answer while it streams: it must grow piece by piece before it is done.
    List<String> seen = new ArrayList<>();
    WebElement reply =
        wait.until(driver -> driver.findElement(By.cssSelector(".message.assistant")));
    wait.pollingEvery(Duration.ofMillis(5))
        .until(
            driver -> {
              String text = reply.findElement(By.cssSelector(".answer")).getText();
              if (seen.isEmpty() || !seen.getLast().equals(text)) {
                seen.add(text);
              }
              return "done".equals(reply.getAttribute("data-state"));
            });

    String answer = reply.findElement(By.cssSelector(".answer")).getText();
    assertThat(answer).isEqualTo("You said: what is streaming in a browser test");
    assertThat(seen.stream().filter(text -> !text.isEmpty() && !text.equals(answer)))
        .as("partial answers seen while streaming: %s", seen)
        .isNotEmpty();
    assertThat(reply.findElement(By.cssSelector(".stats")).getText())
        .contains(FakeEngineConfiguration.MODEL)
        .contains("cpu")
        .contains("stop");
  }
}
