package io.silentmode;

import io.silentmode.agent.AgentVerticle;
import io.silentmode.protocol.Sha256;
import io.silentmode.server.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Level;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The web console in headless Chromium against a real server and real agents on loopback: an operator signs in,
 * sees the agents, pulls a file to 100 % and downloads it, pauses, resumes and cancels a slow pull, and a bad token
 * is refused in plain words. One browser and one server serve the whole class, in the order of an operator's visit.
 * <p>
 * The screenshot of the pulls view is saved to target/console.png, and to the path in the system property
 * {@code console.screenshot} when given ({@code -Dconsole.screenshot=docs/console.png} refreshes the README's).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserTest {

  private static final String TOKEN = "console-operator-token";

  @TempDir
  static Path dir;
  static Vertx vertx;
  static Fixture fx;
  static ChromeDriver browser;
  static ConsolePage page;
  static Path browserDownloads;
  static Path shopFile;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    fx = new Fixture(vertx, dir).with(c -> c.setApiToken(TOKEN)).start();
    shopFile = fx.randomFile("sales-2025-01.csv", 40L * Fixture.CHUNK + 123);
    fx.agent("shop-001", shopFile, c -> new AgentVerticle(c, Map.of("region", "eu", "store", "berlin-12")));
    // 600 chunks at about 10 ms each: a pull that runs for seconds, long enough to pause and cancel by hand.
    fx.agent("shop-002", fx.randomFile("inventory.db", 600L * Fixture.CHUNK), c -> new LifecycleTest.SlowAgent(c, new AtomicInteger()));
    // An agent that was here and left: the console lists it as offline.
    AgentVerticle gone = fx.agent("shop-003", fx.randomFile("gone.csv", 10), c -> new AgentVerticle(c, Map.of("region", "us")));
    vertx.undeploy(gone.deploymentID()).await();
    browserDownloads = dir.resolve("browser-downloads");
    browser = Chromium.start(dir, browserDownloads);
    page = new ConsolePage(browser, "http://127.0.0.1:" + fx.server.apiPort());
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (vertx != null) {
      fx.server.stop().await();
      vertx.close().await();
    }
  }

  /**
   * Nothing the page did went wrong in the browser: no uncaught error, nothing the Content-Security-Policy refused.
   * Failed API answers ("Failed to load resource: ... 401") are what some tests ask for, and the page handles them.
   */
  @AfterEach
  void the_browser_reported_no_script_error_or_policy_refusal() {
    List<String> problems = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
      .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
      .map(LogEntry::getMessage)
      .filter(m -> !m.contains("Failed to load resource"))
      .toList();
    assertTrue(problems.isEmpty(), problems::toString);
  }

  @Test
  @Order(1)
  void a_wrong_token_is_refused_in_plain_words_and_nothing_is_shown() throws Exception {
    page.open().signIn("not-the-token");
    String error = page.loginError();
    assertTrue(error.contains("not accepted") && error.contains("401 Unauthorized"), error);
    assertTrue(browser.findElements(By.cssSelector("#agents-body tr")).isEmpty(), "no agent shown without a valid token");
    assertEquals(null, browser.executeScript("return sessionStorage.getItem('silentmode.token')"), "a refused token is not kept");
    save(Path.of("target", "console-login.png"));
    // The browser's log reaches the test (the check after each test relies on it): here, the refused whoami.
    assertTrue(browser.manage().logs().get(LogType.BROWSER).getAll().stream().anyMatch(e -> e.getMessage().contains("401")),
      "the browser log shows the 401");
  }

  @Test
  @Order(2)
  void an_operator_sees_the_agent_pulls_its_file_to_100_percent_and_downloads_it_with_the_same_sha256() throws Exception {
    page.open().signIn(TOKEN);
    page.awaitSignedIn();
    assertEquals("Online", page.agentStatus("shop-001"));
    assertTrue(page.agentRow("shop-001").getText().contains(fx.config.nodeName()), "the node the agent dials is shown");
    assertTrue(page.agentRow("shop-001").getText().contains("changed"), "the file's size and when it changed, as the agent reported them");
    assertTrue(page.agentRow("shop-001").getText().contains("sales-2025-01.csv"), "the file the agent serves");
    String expected = Fixture.sha256(shopFile);

    String id = page.startPull("shop-001");
    page.awaitStatus(id, "completed");
    page.wait.until(d -> page.percent(id) == 100);
    assertTrue(page.cell(id, "Status").contains("Completed"), page.cell(id, "Status"));
    assertTrue(page.cell(id, "Progress").contains("2.5 MiB of 2.5 MiB"), page.cell(id, "Progress"));

    page.act(id, "download");
    Path saved = browserDownloads.resolve("sales-2025-01.csv");
    page.wait.until(d -> Files.exists(saved) && !Files.exists(browserDownloads.resolve("sales-2025-01.csv.crdownload")));
    assertEquals(expected, Fixture.sha256(saved), "the browser saved the very bytes the agent has");

    page.act(id, "link");
    String link = page.linkUrl();
    assertTrue(link.contains("/api/v1/downloads/" + id + "/content?expires="), link);
    // The signed link works without the token, as for someone the operator hands it to.
    HttpResponse<byte[]> fetched = HttpClient.newHttpClient()
      .send(HttpRequest.newBuilder(URI.create(link)).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, fetched.statusCode());
    assertEquals(expected, Sha256.hex(Sha256.digest().digest(fetched.body())));
    browser.findElement(By.id("link-close")).click();
    page.wait.until(d -> !d.findElement(By.id("link-panel")).isDisplayed());
  }

  @Test
  @Order(3)
  void a_slow_pull_shows_live_progress_can_be_paused_resumed_and_is_cancelled() throws Exception {
    page.awaitSignedIn();
    String id = page.startPull("shop-002");
    page.awaitStatus(id, "in_progress");
    // Progress arrives on the job's event stream, far more often than the 5 s list refresh.
    // Progress comes on the job's event stream: three different figures within 4 s, while the lists are fetched
    // every 5 s, so at least two came live.
    Set<Integer> seen = new HashSet<>();
    new WebDriverWait(browser, Duration.ofSeconds(4)).pollingEvery(Duration.ofMillis(50))
      .until(d -> seen.add(page.percent(id)) && seen.size() >= 3);
    assertTrue(!page.cell(id, "Rate").equals("—") && !page.cell(id, "ETA").equals("—"), page.pullRow(id).getText());

    page.press(id, "pause");
    page.awaitStatus(id, "paused");
    // The keyboard focus moved from Pause to the row's new first button, Resume, rather than to nowhere.
    page.wait.until(d -> "resume".equals(d.switchTo().activeElement().getDomAttribute("data-action")));
    assertTrue(page.cell(id, "Status").contains("Paused") && page.cell(id, "Status").contains("by an operator"), page.cell(id, "Status"));
    page.press(id, "resume");
    page.awaitStatus(id, "in_progress");

    page.press(id, "cancel");
    page.awaitStatus(id, "cancelled");
    assertEquals("cancelled", fx.request(Addresses.DOWNLOADS_GET, new JsonObject().put("requestId", id)).getString("status"));
    assertTrue(page.pullRow(id).findElements(By.cssSelector("button[data-action='retry']")).size() == 1, "a cancelled pull offers a retry");
  }

  @Test
  @Order(4)
  void from_the_keyboard_alone_an_operator_reaches_a_pull_button_sees_where_the_focus_is_and_starts_a_pull() {
    page.open().signIn(TOKEN);
    WebElement pull = page.agentRow("shop-001").findElement(By.cssSelector("button[data-action='pull']"));
    page.tabTo(pull, 20);
    assertEquals("solid", browser.executeScript("return getComputedStyle(document.activeElement).outlineStyle"),
      "a focused button is outlined");
    Set<String> before = page.pullIds();
    pull.sendKeys(Keys.ENTER);
    String id = page.wait.until(d -> page.pullIds().stream().filter(r -> !before.contains(r)).findFirst().orElse(null));
    page.awaitStatus(id, "completed");
  }

  @Test
  @Order(5)
  void a_download_whose_file_is_gone_from_the_server_says_so_in_plain_words() throws Exception {
    String id = page.startPull("shop-001");
    page.awaitStatus(id, "completed");
    JsonObject job = fx.request(Addresses.DOWNLOADS_GET, new JsonObject().put("requestId", id));
    Files.delete(Path.of(job.getJsonObject("file").getString("path")));
    page.act(id, "download");
    String problem = page.problem();
    assertTrue(problem.contains("File not found:") && problem.contains("no longer in DOWNLOAD_DIR; pull it again"), problem);
    save(Path.of("target", "console-problem.png"));
    browser.findElement(By.id("problem-close")).click();
  }

  @Test
  @Order(6)
  void in_a_narrow_window_rows_become_cards_and_every_action_stays_in_reach() throws Exception {
    Dimension wide = browser.manage().window().getSize();
    try {
      browser.manage().window().setSize(new Dimension(390, 800));
      page.awaitSignedIn();
      WebElement pull = page.agentRow("shop-001").findElement(By.cssSelector("button[data-action='pull']"));
      page.wait.until(d -> page.innerWidth() < 500);
      assertTrue(pull.isDisplayed());
      assertTrue(pull.getRect().getX() + pull.getRect().getWidth() <= page.innerWidth(), "the Pull button is inside the window");
      assertTrue(page.scrollWidth() <= page.innerWidth(), "no sideways scrolling: " + page.scrollWidth() + " > " + page.innerWidth());
      // Each cell says what it is, as the column headers are gone.
      assertEquals("\"Last seen\"", browser.executeScript("return getComputedStyle(arguments[0], '::before').content",
        page.agentRow("shop-001").findElement(By.cssSelector("td[data-label='Last seen']"))));
      WebElement download = browser.findElement(By.cssSelector("#pulls-body tr[data-status='completed'] button[data-action='download']"));
      new Actions(browser).scrollToElement(download).perform();
      assertTrue(download.isDisplayed() && download.getRect().getX() + download.getRect().getWidth() <= page.innerWidth(),
        "a pull's buttons are inside the window too");
      save(Path.of("target", "console-narrow.png"));
    } finally {
      browser.manage().window().setSize(wide);
    }
  }

  @Test
  @Order(7)
  void the_screenshot_shows_agents_and_a_pull_under_way() throws Exception {
    Dimension before = browser.manage().window().getSize();
    try {
      browser.manage().window().setSize(new Dimension(1360, 860));
      page.awaitSignedIn();
      String id = page.startPull("shop-002");
      page.wait.until(d -> page.percent(id) >= 10 && !page.cell(id, "ETA").equals("—"));
      page.wait.until(d -> page.agentStatus("shop-003").equals("Offline"));
      browser.executeScript("document.getElementById('toast').textContent = ''");
      new Actions(browser).moveToElement(browser.findElement(By.id("pulls-title"))).perform(); // no button under the pointer
      browser.executeScript("window.scrollTo(0, 0)");
      saveScreenshot();
      page.act(id, "cancel");
      page.awaitStatus(id, "cancelled");
    } finally {
      browser.manage().window().setSize(before);
    }
  }

  @Test
  @Order(8)
  void a_token_the_server_stops_accepting_signs_the_tab_out_with_a_reason() {
    page.awaitSignedIn();
    browser.executeScript("sessionStorage.setItem('silentmode.token', 'revoked')");
    browser.findElement(By.id("refresh")).click();
    String error = page.loginError();
    assertTrue(error.contains("no longer accepts this token"), error);
    assertTrue(browser.findElement(By.id("console")).getDomAttribute("hidden") != null, "agents and pulls are hidden");
  }

  /**
   * The console's text/event-stream parser, run in the browser on what a proxy or the network may make of a stream:
   * lines split anywhere, CRLF and CR line ends, comments, an event without id, data on several lines, retry:.
   */
  @Test
  @Order(9)
  void the_event_stream_parser_reads_split_lines_every_line_end_comments_and_multiline_data() {
    page.open();
    Object parsed = browser.executeAsyncScript("""
      const done = arguments[arguments.length - 1];
      import('./sse.js').then(({ SseParser }) => {
        // Pieces as the network may cut them: a CRLF split in two is one line end, not an empty line.
        const pieces = ['retry: 25', '00\\r', '\\n: keep-alive\\n\\nid: 7\\nevent: state\\ndata: {"a":1}\\n\\n',
          'event: progress\\r', '\\ndata: line one\\r', '\\ndata: line two\\r\\n\\r\\n',
          'id: 9\\rdata:no-space\\r\\r', 'id: 10\\nevent: fi', 'nal\\n'];
        const parser = new SseParser();
        const events = [];
        for (const piece of pieces) {
          events.push(...parser.push(piece));
        }
        events.push(...parser.push('data: {}\\n\\n'));
        done(JSON.stringify({ events, retry: parser.retry, lastId: parser.lastId }));
      }).catch(e => done('failed: ' + e));
      """);
    JsonObject result = new JsonObject((String) parsed);
    assertEquals(2500, result.getInteger("retry"));
    assertEquals("10", result.getString("lastId"));
    assertEquals(new io.vertx.core.json.JsonArray()
      .add(new JsonObject().put("id", "7").put("event", "state").put("data", "{\"a\":1}"))
      .add(new JsonObject().put("id", "7").put("event", "progress").put("data", "line one\nline two"))
      .add(new JsonObject().put("id", "9").put("event", "message").put("data", "no-space"))
      .add(new JsonObject().put("id", "10").put("event", "final").put("data", "{}")), result.getJsonArray("events"));
  }

  @Test
  @Order(10)
  void a_viewer_sees_the_agents_and_pulls_but_no_button_that_would_change_them() {
    Api api = fx.api();
    api.token = TOKEN;
    String viewer = api.post("createToken", "/api/v1/tokens", new JsonObject().put("name", "auditor").put("role", "viewer"), 201)
      .getString("token");
    page.open().signIn(viewer);
    page.agentRow("shop-001");
    assertEquals("auditor · viewer", browser.findElement(By.id("role")).getDomProperty("textContent").trim());
    assertFalse(page.pullIds().isEmpty(), "the pulls of the tests before are listed");
    assertTrue(browser.findElements(By.cssSelector("#agents-body button, #pulls-body button")).isEmpty(),
      "no Pull, Pause, Resume, Cancel, Retry, Download or Copy link for a viewer");
  }

  private static void saveScreenshot() throws Exception {
    save(Path.of("target", "console.png"));
    String wanted = System.getProperty("console.screenshot");
    if (wanted != null && !wanted.isBlank()) {
      save(Path.of(wanted));
    }
  }

  private static void save(Path target) throws Exception {
    Files.copy(browser.getScreenshotAs(OutputType.FILE).toPath(), target, StandardCopyOption.REPLACE_EXISTING);
  }
}
