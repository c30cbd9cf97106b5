package io.silentmode;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.silentmode.server.metrics.Metrics;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What an operator reads after things went well: no warnings. Every record at WARNING or above is collected. */
class QuietLogTest {

  @TempDir
  Path dir;
  private final List<ILoggingEvent> warnings = new CopyOnWriteArrayList<>();
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private final AppenderBase<ILoggingEvent> collector = new AppenderBase<>() {
    @Override
    protected void append(ILoggingEvent event) {
      if (event.getLevel().isGreaterOrEqual(Level.WARN)) {
        warnings.add(event);
      }
    }
  };

  @BeforeEach
  void listen() {
    collector.setContext(root.getLoggerContext());
    collector.start();
    root.addAppender(collector);
  }

  @AfterEach
  void stopListening() {
    root.detachAppender(collector);
    collector.stop();
  }

  @Test
  void a_successful_pull_and_a_clean_shutdown_of_agent_and_server_log_no_warning() throws Exception {
    Vertx vertx = Metrics.vertxBuilder("test-node").build(); // as the server runs: metrics on
    Fixture fx = new Fixture(vertx, dir).start();
    String agent = fx.agent("shop-1", fx.randomFile("f.bin", 3L * Fixture.CHUNK + 1)).deploymentID();
    assertEquals("completed", fx.pull("shop-1").getString("status"));
    // Micrometer warns of a gauge registered twice only once a JVM: check its cause, the meter, too.
    assertNull(Metrics.registry(vertx).find("vertx.eventbus.handlers").meter(), "registered again for every handler");

    vertx.undeploy(agent).await();
    fx.server.stop().await();
    vertx.close().await();

    assertEquals(List.of(), describe(warnings));
  }

  @Test
  void a_server_stopped_under_connected_agents_leaves_no_message_undelivered() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Fixture fx = new Fixture(vertx, dir).start();
      AtomicInteger frames = new AtomicInteger();
      fx.agent("busy-1", fx.randomFile("f.bin", 100L * Fixture.CHUNK), c -> new LifecycleTest.SlowAgent(c, frames));
      fx.agent("idle-1", fx.randomFile("g.bin", 10));
      fx.startPull("busy-1", null);
      long deadline = System.currentTimeMillis() + 10_000;
      while (frames.get() < 3) { // the pull is under way
        assertTrue(System.currentTimeMillis() < deadline, "the agent sent no chunk");
        Thread.sleep(5);
      }

      fx.server.stop().await();

      // The agents do warn that the server is gone: that is news to their operator.
      assertEquals(List.of(), describe(warnings.stream().filter(r -> !r.getLoggerName().startsWith("io.silentmode.agent")).toList()));
    } finally {
      vertx.close().await();
    }
  }

  private static List<String> describe(List<ILoggingEvent> events) {
    return events.stream().map(e -> e.getLevel() + " " + e.getLoggerName() + ": " + e.getFormattedMessage()).toList();
  }
}
