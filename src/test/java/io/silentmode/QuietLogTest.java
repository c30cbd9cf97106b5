package io.silentmode;

import io.silentmode.server.metrics.Metrics;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What an operator reads after things went well: no warnings. Every record at WARNING or above is collected. */
class QuietLogTest {

  @TempDir
  Path dir;
  private final List<LogRecord> warnings = new CopyOnWriteArrayList<>();
  private final Handler collector = new Handler() {
    @Override
    public void publish(LogRecord record) {
      if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
        warnings.add(record);
      }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
  };

  @BeforeEach
  void listen() {
    Logger.getLogger("").addHandler(collector);
  }

  @AfterEach
  void stopListening() {
    Logger.getLogger("").removeHandler(collector);
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

  private static List<String> describe(List<LogRecord> records) {
    return records.stream().map(r -> r.getLevel() + " " + r.getLoggerName() + ": " + r.getMessage()).toList();
  }
}
