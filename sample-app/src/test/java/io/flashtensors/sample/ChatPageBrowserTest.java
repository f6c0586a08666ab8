package io.flashtensors.sample;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * A person's view: headless Chromium (Debian's chromium and chromium-driver, which .ci/run
 * installs) opens the page of the app serving its bundled tiny Qwen3, types a question, and watches
 * the answer stream in, piece by piece, until it is the answer transformers gives.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {BundledModelTests.GREEDY, BundledModelTests.SHORT})
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
    WebDriverWait wait = new WebDriverWait(this.browser, Duration.ofSeconds(30));
    wait.until(
        driver -> BundledModel.MODEL_NAME.equals(driver.findElement(By.id("model-id")).getText()));
    assertThat(this.browser.findElement(By.id("model-device")).getText()).isEqualTo("cpu");
    assertThat(this.browser.findElement(By.id("model-load")).getText()).endsWith(" s");
    WebElement notice = this.browser.findElement(By.id("notice"));
    assertThat(notice.isDisplayed()).isTrue();
    assertThat(notice.getText()).contains("tiny test model bundled with the sample");

    // Record every text the answer shows, however fast the pieces come.
    ((JavascriptExecutor) this.browser)
        .executeScript(
            """
            window.seen = [];
            new MutationObserver(() => {
              const answer = document.querySelector('.message.assistant .answer');
              if (answer && window.seen[window.seen.length - 1] !== answer.textContent) {
                window.seen.push(answer.textContent);
              }
            }).observe(document.getElementById('messages'),
                { childList: true, subtree: true, characterData: true });
            """);
    this.browser.findElement(By.id("question")).sendKeys(BundledModelTests.question());
    this.browser.findElement(By.id("send")).click();

    WebElement reply =
        wait.until(driver -> driver.findElement(By.cssSelector(".message.assistant")));
    wait.until(driver -> !"streaming".equals(reply.getAttribute("data-state")));
    assertThat(reply.getAttribute("data-state")).isEqualTo("done");
    String answer = reply.findElement(By.cssSelector(".answer")).getText();
    assertThat(answer).isEqualTo(BundledModelTests.greedyAnswer());

    @SuppressWarnings("unchecked")
    List<String> seen =
        (List<String>) ((JavascriptExecutor) this.browser).executeScript("return window.seen;");
    List<String> partial =
        seen.stream().filter(text -> !text.isEmpty() && !text.equals(answer)).toList();
    assertThat(partial).as("answers shown while streaming").hasSizeGreaterThan(5);
    assertThat(partial).allSatisfy(text -> assertThat(answer).startsWith(text));
    assertThat(reply.findElement(By.cssSelector(".stats")).getText())
        .contains(BundledModel.MODEL_NAME)
        .contains("cpu")
        .contains("24 tokens")
        .contains("length");
  }
}
