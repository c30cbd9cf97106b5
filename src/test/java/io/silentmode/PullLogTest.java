package io.silentmode;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A pull's log lines carry its fields for a search: requestId and clientId, and a failure's code. */
@ExtendWith(VertxExtension.class)
class PullLogTest {

  @TempDir
  Path dir;
  private final Logger runner = (Logger) LoggerFactory.getLogger("io.silentmode.server.download.PullRunner");
  private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
  private Level oldLevel;

  @BeforeEach
  void listen() {
    oldLevel = runner.getLevel();
    runner.setLevel(Level.INFO);
    lines.setContext(runner.getLoggerContext());
    lines.start();
    runner.addAppender(lines);
  }

  @AfterEach
  void stopListening() {
    runner.detachAppender(lines);
    runner.setLevel(oldLevel);
  }

  @Test
  void a_failed_pull_logs_its_start_and_a_warning_with_its_error_code(Vertx vertx) {
    Fixture fx = new Fixture(vertx, dir).start();
    fx.agent("shop-1", dir.resolve("not-there.txt"));
    JsonObject job = fx.pull("shop-1");
    String id = job.getString("requestId");

    List<ILoggingEvent> ofPull = lines.list.stream()
      .filter(e -> id.equals(e.getMDCPropertyMap().get("requestId"))).toList();
    assertEquals(2, ofPull.size(), () -> ofPull.toString());
    ILoggingEvent start = ofPull.get(0);
    assertEquals(Level.INFO, start.getLevel());
    assertEquals(Map.of("requestId", id, "clientId", "shop-1"), start.getMDCPropertyMap());
    ILoggingEvent end = ofPull.get(1);
    assertEquals(Level.WARN, end.getLevel());
    assertEquals("FILE_NOT_FOUND", end.getMDCPropertyMap().get("code"), end::toString);
    assertEquals("shop-1", end.getMDCPropertyMap().get("clientId"));
    assertEquals("0", end.getMDCPropertyMap().get("bytes"));
    assertTrue(end.getFormattedMessage().startsWith("Pull " + id + " from shop-1 failed: 0 bytes in "), end::toString);
    assertTrue(end.getFormattedMessage().contains(": FILE_NOT_FOUND "), end::toString);
  }
}
