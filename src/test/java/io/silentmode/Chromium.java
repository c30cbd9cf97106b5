package io.silentmode;

import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Debian's headless Chromium driven by Debian's chromedriver (packages {@code chromium} and
 * {@code chromium-driver}, installed by {@code .ci/deps}). Both paths are given, so Selenium Manager never tries
 * to download a driver; the flags keep the browser off the network and quick to start in a container.
 */
final class Chromium {

  static final String BROWSER = "/usr/bin/chromium";
  static final String DRIVER = "/usr/bin/chromedriver";

  private Chromium() {
  }

  /** A browser with a fresh profile in {@code dir}, saving downloads to {@code downloads} without asking. */
  static ChromeDriver start(Path dir, Path downloads) throws Exception {
    if (!Files.isExecutable(Path.of(BROWSER)) || !Files.isExecutable(Path.of(DRIVER))) {
      throw new IllegalStateException(BROWSER + " and " + DRIVER + " are needed: run .ci/deps (apt-get install chromium chromium-driver)");
    }
    Files.createDirectories(downloads);
    ChromeOptions options = new ChromeOptions()
      .setBinary(BROWSER)
      .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--user-data-dir=" + Files.createDirectories(dir.resolve("profile")), "--window-size=1360,900")
      .setExperimentalOption("prefs", Map.of(
        "download.default_directory", downloads.toString(),
        "download.prompt_for_download", false,
        "safebrowsing.enabled", false));
    // The console's own messages (uncaught errors, Content-Security-Policy refusals) for the tests to check.
    options.setCapability("goog:loggingPrefs", Map.of("browser", "ALL"));
    ChromeDriverService service = new ChromeDriverService.Builder()
      .usingDriverExecutable(new File(DRIVER))
      .usingAnyFreePort()
      .build();
    return new ChromeDriver(service, options);
  }
}
