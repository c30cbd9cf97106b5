package io.silentmode;

import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** The web console as an operator sees it: what its tests click and read, by role, label and data attribute. */
final class ConsolePage {

  private final WebDriver driver;
  private final String url;
  final WebDriverWait wait;

  ConsolePage(WebDriver driver, String baseUrl) {
    this.driver = driver;
    this.url = baseUrl + "/console/";
    // Rows are drawn again as events arrive: an element found a moment ago may be gone; look again.
    this.wait = (WebDriverWait) new WebDriverWait(driver, Duration.ofSeconds(20)).ignoring(StaleElementReferenceException.class);
  }

  /** A fresh tab state: the token is forgotten, as when the tab is closed. */
  ConsolePage open() {
    driver.get(url);
    ((JavascriptExecutor) driver).executeScript("sessionStorage.clear()");
    driver.navigate().refresh();
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
    return this;
  }

  /** Types the token and presses Enter, as someone on the keyboard does. */
  void signIn(String token) {
    WebElement field = driver.findElement(By.id("token"));
    field.clear();
    field.sendKeys(token, Keys.ENTER);
  }

  void awaitSignedIn() {
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("agents")));
  }

  String loginError() {
    return wait.until(d -> {
      String text = d.findElement(By.id("login-error")).getText();
      return text.isBlank() ? null : text;
    });
  }

  WebElement agentRow(String clientId) {
    return wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#agents-body tr[data-client-id='" + clientId + "']")));
  }

  String agentStatus(String clientId) {
    return wait.until(d -> agentRow(clientId).findElement(By.cssSelector("td[data-label='Status'] .state")).getText());
  }

  Set<String> pullIds() {
    return wait.until(d -> d.findElements(By.cssSelector("#pulls-body tr")).stream()
      .map(tr -> tr.getDomAttribute("data-request-id")).collect(Collectors.toSet()));
  }

  /** Clicks the agent's "Pull file" and returns the requestId of the row that appears for it. */
  String startPull(String clientId) {
    Set<String> before = pullIds();
    agentRow(clientId).findElement(By.cssSelector("button[data-action='pull']")).click();
    return wait.until(d -> pullIds().stream().filter(id -> !before.contains(id)).findFirst().orElse(null));
  }

  WebElement pullRow(String requestId) {
    return driver.findElement(By.cssSelector("#pulls-body tr[data-request-id='" + requestId + "']"));
  }

  /** Waits for the row's status (its data-status, which the badge shows in words) and returns the row. */
  WebElement awaitStatus(String requestId, String status) {
    wait.until(d -> status.equals(pullRow(requestId).getDomAttribute("data-status")));
    return pullRow(requestId);
  }

  String cell(String requestId, String label) {
    return wait.until(d -> pullRow(requestId).findElement(By.cssSelector("td[data-label='" + label + "']")).getText());
  }

  int percent(String requestId) {
    String text = wait.until(d -> pullRow(requestId).findElement(By.cssSelector(".pct")).getText());
    return Integer.parseInt(text.replace("%", "").trim());
  }

  void act(String requestId, String action) {
    button(requestId, action).click();
  }

  /** The same from the keyboard: the button takes the focus and Enter presses it. */
  void press(String requestId, String action) {
    button(requestId, action).sendKeys(Keys.ENTER);
  }

  private WebElement button(String requestId, String action) {
    return wait.until(d -> {
      List<WebElement> found = pullRow(requestId).findElements(By.cssSelector("button[data-action='" + action + "']"));
      return found.isEmpty() || "true".equals(found.get(0).getDomAttribute("aria-disabled")) ? null : found.get(0);
    });
  }

  /** Presses Tab until {@code target} has the focus, as a keyboard user gets there; fails after {@code max} presses. */
  void tabTo(WebElement target, int max) {
    Actions keys = new Actions(driver);
    for (int i = 0; i < max; i++) {
      keys.sendKeys(Keys.TAB).perform();
      if (target.equals(driver.switchTo().activeElement())) {
        return;
      }
    }
    throw new AssertionError("not reached with " + max + " presses of Tab: " + target);
  }

  /** The error banner, once it shows: title and detail from the API's problem+json. */
  String problem() {
    return wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("problem"))).getText();
  }

  String linkUrl() {
    WebElement field = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("link-url")));
    return wait.until(d -> field.getDomProperty("value").isEmpty() ? null : field.getDomProperty("value"));
  }

  long scrollWidth() {
    return ((Number) ((JavascriptExecutor) driver).executeScript("return document.documentElement.scrollWidth")).longValue();
  }

  long innerWidth() {
    return ((Number) ((JavascriptExecutor) driver).executeScript("return window.innerWidth")).longValue();
  }
}
