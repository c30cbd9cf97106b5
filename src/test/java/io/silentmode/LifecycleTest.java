package io.silentmode;

import io.silentmode.agent.AgentConfig;
import io.silentmode.agent.AgentVerticle;
import io.silentmode.protocol.ErrorCode;
import io.silentmode.server.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pulls start, run side by side, collide and get cancelled. */
@ExtendWith(VertxExtension.class)
class LifecycleTest {

  @TempDir
  Path dir;
  Fixture fx;

  @BeforeEach
  void setUp(Vertx vertx) {
    fx = new Fixture(vertx, dir).start();
  }

  @Test
  void two_agents_pulled_at_once_both_arrive_correct() throws Exception {
    Path a = fx.randomFile("a.bin", 40L * Fixture.CHUNK + 7);
    Path b = fx.randomFile("b.bin", 30L * Fixture.CHUNK + 9);
    fx.agent("store-a", a);
    fx.agent("store-b", b);

    JsonObject jobA = fx.startPull("store-a", null);
    JsonObject jobB = fx.startPull("store-b", null);
    JsonObject resultA = fx.awaitFinal(jobA);
    JsonObject resultB = fx.awaitFinal(jobB);

    assertEquals(Fixture.sha256(a), Fixture.sha256(Path.of(resultA.getJsonObject("file").getString("path"))));
    assertEquals(Fixture.sha256(b), Fixture.sha256(Path.of(resultB.getJsonObject("file").getString("path"))));
  }

  @Test
  void a_second_pull_to_a_busy_agent_waits_queued_and_runs_once_the_first_ends() throws Exception {
    Path file = fx.randomFile("f.bin", 50L * Fixture.CHUNK);
    fx.agent("busy", file, c -> new SlowAgent(c, new AtomicInteger()));
    JsonObject first = fx.startPull("busy", null);

    JsonObject second = fx.startPull("busy", null);
    assertEquals("queued", second.getString("status"), second::encode);
    assertEquals("AGENT_BUSY", second.getString("queuedReason"));
    assertEquals("completed", fx.awaitFinal(first).getString("status"));
    JsonObject done = fx.awaitFinal(second);
    assertEquals("completed", done.getString("status"), done::encode);
    assertEquals(Fixture.sha256(file), done.getJsonObject("file").getString("sha256"));
  }

  @Test
  void a_pull_queued_behind_a_busy_agent_fails_with_QUEUE_TIMEOUT_when_it_passes() throws Exception {
    fx.server.stop().await();
    fx.with(c -> c.setQueueTimeout(300)).start();
    fx.agent("busy", fx.randomFile("f.bin", 300L * Fixture.CHUNK), c -> new SlowAgent(c, new AtomicInteger()));
    JsonObject first = fx.startPull("busy", null);

    JsonObject failed = fx.awaitFinal(fx.startPull("busy", null));
    assertEquals("QUEUE_TIMEOUT", failed.getJsonObject("error").getString("code"), failed::encode);
    assertTrue(failed.getJsonObject("error").getString("message").contains("agent 'busy' to finish its other pull"), failed::encode);
    fx.request(Addresses.DOWNLOADS_CANCEL, new JsonObject().put("requestId", first.getString("requestId")));
  }

  @Test
  void with_every_slot_taken_a_high_priority_pull_queued_after_low_ones_starts_first() throws Exception {
    fx.server.stop().await();
    fx.with(c -> c.setMaxActivePulls(1)).start();
    List<String> starts = new CopyOnWriteArrayList<>();
    fx.vertx.eventBus().<JsonObject>consumer(Addresses.DOWNLOADS_EVENTS, m -> {
      if ("in_progress".equals(m.body().getString("status")) && !starts.contains(m.body().getString("requestId"))) {
        starts.add(m.body().getString("requestId"));
      }
    });
    fx.agent("busy", fx.randomFile("big.bin", 100L * Fixture.CHUNK), c -> new SlowAgent(c, new AtomicInteger()));
    List<JsonObject> low = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      fx.agent("low-" + i, fx.randomFile("l" + i + ".bin", 3L * Fixture.CHUNK));
    }
    fx.agent("urgent", fx.randomFile("u.bin", 3L * Fixture.CHUNK));
    JsonObject running = fx.startPull("busy", null);
    for (int i = 0; i < 20; i++) {
      low.add(fx.request(Addresses.DOWNLOADS_START, new JsonObject().put("clientId", "low-" + i).put("priority", "low")));
    }
    JsonObject high = fx.request(Addresses.DOWNLOADS_START, new JsonObject().put("clientId", "urgent").put("priority", "high"));
    assertEquals("queued", high.getString("status"), high::encode);
    assertEquals(1, high.getInteger("queuePosition"), "first in line, ahead of 20 low ones");
    assertEquals("high", high.getString("priority"));

    for (JsonObject job : low) {
      assertEquals("completed", fx.awaitFinal(job).getString("status"));
    }
    assertEquals(List.of(running.getString("requestId"), high.getString("requestId")), starts.subList(0, 2),
      "the high one started next, before every low one");
  }

  @Test
  void no_more_than_MAX_ACTIVE_PULLS_run_at_once_and_the_rest_start_in_their_turn() throws Exception {
    fx.server.stop().await();
    fx.with(c -> c.setMaxActivePulls(2)).start();
    List<JsonObject> jobs = new ArrayList<>();
    AtomicInteger running = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    Set<String> started = ConcurrentHashMap.newKeySet();
    fx.vertx.eventBus().<JsonObject>consumer(Addresses.DOWNLOADS_EVENTS, m -> {
      String id = m.body().getString("requestId");
      if ("in_progress".equals(m.body().getString("status")) && started.add(id)) {
        most.accumulateAndGet(running.incrementAndGet(), Math::max);
      } else if ("final".equals(m.body().getString("event")) && started.contains(id)) {
        running.decrementAndGet();
      }
    });
    for (int i = 0; i < 4; i++) {
      fx.agent("shop-" + i, fx.randomFile("f" + i + ".bin", 60L * Fixture.CHUNK), c -> new SlowAgent(c, new AtomicInteger()));
    }
    for (int i = 0; i < 4; i++) {
      jobs.add(fx.startPull("shop-" + i, null));
    }

    assertEquals("queued", jobs.get(2).getString("status"), jobs.get(2)::encode);
    JsonObject last = fx.request(Addresses.DOWNLOADS_GET, new JsonObject().put("requestId", jobs.get(3).getString("requestId")));
    assertEquals(2, last.getInteger("queuePosition"), last::encode);
    assertEquals("SERVER_BUSY", last.getString("queuedReason"));
    for (JsonObject job : jobs) {
      assertEquals("completed", fx.awaitFinal(job).getString("status"));
    }
    assertEquals(2, most.get(), "at most MAX_ACTIVE_PULLS at once, and that many");
  }

  @Test
  void cancel_mid_pull_stops_the_agent_and_removes_the_temp_data() throws Exception {
    AtomicInteger frames = new AtomicInteger();
    Path file = fx.randomFile("f.bin", 200L * Fixture.CHUNK);
    fx.agent("slow", file, c -> new SlowAgent(c, frames));
    JsonObject job = fx.startPull("slow", null);
    awaitFrames(frames, 3);

    JsonObject cancelled = fx.request(Addresses.DOWNLOADS_CANCEL, new JsonObject().put("requestId", job.getString("requestId")));

    assertEquals("cancelled", cancelled.getString("status"));
    assertEquals("cancelled", fx.awaitFinal(job).getString("status"));
    fx.awaitEmptyDownloadDir();
    int afterCancel = frames.get();
    awaitClosed(file); // from then on the agent can read no more of it
    assertTrue(frames.get() <= afterCancel + 1, "agent kept reading: " + afterCancel + " -> " + frames.get());
    assertTrue(frames.get() < 200);
    assertFails(ErrorCode.DOWNLOAD_NOT_ACTIVE, fx.vertx.eventBus().request(Addresses.DOWNLOADS_CANCEL,
      new JsonObject().put("requestId", job.getString("requestId"))));
  }

  @Test
  void unknown_agents_and_pulls_get_clear_errors() {
    assertFails(ErrorCode.CLIENT_NOT_FOUND, fx.startPullAsync("nobody"));
    assertFails(ErrorCode.DOWNLOAD_NOT_FOUND, fx.vertx.eventBus().request(Addresses.DOWNLOADS_GET,
      new JsonObject().put("requestId", "00000000-0000-0000-0000-000000000000")));
    assertFails(ErrorCode.DOWNLOAD_NOT_FOUND, fx.vertx.eventBus().request(Addresses.DOWNLOADS_CANCEL,
      new JsonObject().put("requestId", "not-a-uuid")));
  }

  @Test
  void a_pull_for_an_agent_that_left_waits_queued_and_runs_when_it_is_back() throws Exception {
    Path file = fx.randomFile("f.bin", 3L * Fixture.CHUNK + 5);
    leave(fx, fx.agent("left", file));

    JsonObject queued = fx.startPull("left", null);
    assertEquals("queued", queued.getString("status"), queued::encode);
    assertNotNull(queued.getString("queuedUntil"));

    fx.agent("left", file);
    JsonObject result = fx.awaitFinal(queued);
    assertEquals("completed", result.getString("status"), result::encode);
    assertEquals(Fixture.sha256(file), result.getJsonObject("file").getString("sha256"));
  }

  @Test
  void a_queued_pull_fails_with_CLIENT_NOT_CONNECTED_when_QUEUE_TIMEOUT_passes() throws Exception {
    fx.server.stop().await();
    fx.with(c -> c.setQueueTimeout(200)).start();
    leave(fx, fx.agent("left", fx.randomFile("f.bin", 10)));

    JsonObject result = fx.awaitFinal(fx.startPull("left", null));
    assertEquals("failed", result.getString("status"));
    assertEquals("CLIENT_NOT_CONNECTED", result.getJsonObject("error").getString("code"), result::encode);
    assertTrue(result.getJsonObject("error").getString("message").contains("QUEUE_TIMEOUT"));
  }

  @Test
  void a_cancel_while_the_agent_still_hashes_leaves_no_file_open_on_the_agent() throws Exception {
    Path file = fx.randomFile("large.bin", 200L * 1024 * 1024);
    fx.agent("hasher", file);
    JsonObject job = fx.startPull("hasher", null);
    awaitOpen(file); // the agent is hashing it
    fx.request(Addresses.DOWNLOADS_CANCEL, new JsonObject().put("requestId", job.getString("requestId")));
    awaitClosed(file);
  }

  private static void awaitOpen(Path file) throws Exception {
    long deadline = System.currentTimeMillis() + 5_000;
    while (openDescriptors(file) == 0) {
      assertTrue(System.currentTimeMillis() < deadline, "the agent never opened " + file);
      Thread.sleep(1);
    }
  }

  private static void awaitClosed(Path file) throws Exception {
    long deadline = System.currentTimeMillis() + 5_000;
    while (openDescriptors(file) > 0) {
      assertTrue(System.currentTimeMillis() < deadline, "the agent still holds " + file + " open");
      Thread.sleep(5);
    }
  }

  /** How many of this JVM's file descriptors point at {@code file} (Linux /proc). */
  private static long openDescriptors(Path file) throws Exception {
    Path target = file.toRealPath();
    try (var fds = java.nio.file.Files.list(Path.of("/proc/self/fd"))) {
      return fds.filter(fd -> {
        try {
          return java.nio.file.Files.readSymbolicLink(fd).equals(target);
        } catch (Exception e) {
          return false;
        }
      }).count();
    }
  }

  static void leave(Fixture fx, AgentVerticle agent) {
    Promise<Void> gone = Promise.promise();
    fx.vertx.eventBus().<JsonObject>consumer(Addresses.REGISTRY_EVENTS, m -> {
      if ("disconnected".equals(m.body().getString("event"))) {
        gone.tryComplete();
      }
    });
    fx.vertx.undeploy(agent.deploymentID()).await();
    gone.future().await();
  }

  static void assertFails(ErrorCode code, Future<?> future) {
    ReplyException e = assertThrows(ReplyException.class, future::await);
    assertEquals(code, ErrorCode.fromBusCode(e.failureCode()), e.getMessage());
  }

  static void awaitFrames(AtomicInteger frames, int n) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 10_000;
    while (frames.get() < n) {
      assertTrue(System.currentTimeMillis() < deadline, "the agent sent " + frames.get() + " chunks, not " + n);
      Thread.sleep(5);
    }
  }

  /** An agent on a slow disk: 10 ms a chunk, counting what it read. */
  static final class SlowAgent extends AgentVerticle {
    private final AtomicInteger frames;

    SlowAgent(AgentConfig config, AtomicInteger frames) {
      super(config);
      this.frames = frames;
    }

    @Override
    protected ByteBuffer prepare(int index, ByteBuffer frame) {
      frames.incrementAndGet();
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return frame;
    }
  }
}
