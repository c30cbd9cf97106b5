package io.silentmode;

import io.silentmode.LifecycleTest.SlowAgent;
import io.silentmode.agent.AgentVerticle;
import io.silentmode.protocol.ErrorCode;
import io.silentmode.server.Addresses;
import io.silentmode.server.ServerConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static io.silentmode.LifecycleTest.assertFails;
import static io.silentmode.LifecycleTest.awaitFrames;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pulls that pause (their agent goes, an operator asks) keep what they verified and continue from there. */
@ExtendWith(VertxExtension.class)
class ResumeTest {

  private static final int CHUNKS = 200;

  @TempDir
  Path dir;
  Fixture fx;

  @BeforeEach
  void setUp(Vertx vertx) {
    fx = new Fixture(vertx, dir).with(this::store).start();
  }

  /** Where the server keeps its records: the file store under DATA_DIR here, PostgreSQL in {@link PgResumeTest}. */
  void store(ServerConfig config) {
  }

  @Test
  void a_pull_whose_agent_disconnects_pauses_and_resumes_from_its_verified_chunks_when_the_agent_is_back() throws Exception {
    Path file = fx.randomFile("f.bin", CHUNKS * (long) Fixture.CHUNK + 11);
    AtomicInteger before = new AtomicInteger();
    AgentVerticle agent = fx.agent("shop", file, c -> new SlowAgent(c, before));
    JsonObject job = fx.startPull("shop", null);
    awaitFrames(before, 40);

    LifecycleTest.leave(fx, agent);
    JsonObject paused = fx.awaitStatus(job, "paused");
    assertEquals("AGENT_DISCONNECTED", paused.getString("pausedReason"), paused::encode);
    assertNotNull(paused.getString("pausedUntil"));
    assertTrue(paused.getInteger("chunksDone") > 0, paused::encode);
    assertTrue(fx.downloadDirContents().size() == 2, "the part files stay: " + fx.downloadDirContents());

    AtomicInteger after = new AtomicInteger();
    fx.agent("shop", file, c -> new SlowAgent(c, after));
    JsonObject done = fx.awaitFinal(job);

    assertEquals("completed", done.getString("status"), done::encode);
    assertEquals(Fixture.sha256(file), Fixture.sha256(Path.of(done.getJsonObject("file").getString("path"))));
    assertEquals(1, done.getInteger("resumes"));
    // chunks done past a gap are fetched again: the resume starts from the verified prefix
    assertTrue(after.get() <= CHUNKS + 1 - paused.getInteger("chunksDone") + fx.config.chunkWindow(),
      "the agent sent again only what was missing: " + after.get() + " frames, " + paused.encode());
    assertTrue(done.getLong("bytesResent") <= (long) fx.config.chunkWindow() * Fixture.CHUNK, done::encode);
    assertEquals(done.getLong("bytesReceived") - done.getLong("size"), done.getLong("bytesResent"), done::encode);
    assertEquals(List.of(Path.of(done.getJsonObject("file").getString("path"))), fx.downloadDirContents(),
      "one published file, no part files");
  }

  @Test
  void an_operator_pause_of_a_pull_waiting_for_its_agent_makes_it_wait_for_the_operator() throws Exception {
    Path file = fx.randomFile("f.bin", CHUNKS * (long) Fixture.CHUNK);
    AtomicInteger frames = new AtomicInteger();
    AgentVerticle agent = fx.agent("shop", file, c -> new SlowAgent(c, frames));
    JsonObject job = fx.startPull("shop", null);
    awaitFrames(frames, 5);
    LifecycleTest.leave(fx, agent);
    fx.awaitStatus(job, "paused");

    assertEquals("OPERATOR", pause(job).getString("pausedReason"));
    fx.agent("shop", file);
    // the orchestrator took the agent's connected event before this request, which it answers in order
    JsonObject after = fx.request(Addresses.DOWNLOADS_GET, new JsonObject().put("requestId", job.getString("requestId")));
    assertEquals("paused", after.getString("status"), after::encode);
    assertEquals("OPERATOR", after.getString("pausedReason"));
    resume(job);
    assertEquals("completed", fx.awaitFinal(job).getString("status"));
  }

  @Test
  void a_pull_paused_longer_than_RESUME_TIMEOUT_fails_and_its_part_files_go() throws Exception {
    fx.server.stop().await();
    fx.with(c -> c.setResumeTimeout(300)).start();
    AtomicInteger frames = new AtomicInteger();
    AgentVerticle agent = fx.agent("gone", fx.randomFile("f.bin", CHUNKS * (long) Fixture.CHUNK), c -> new SlowAgent(c, frames));
    JsonObject job = fx.startPull("gone", null);
    awaitFrames(frames, 5);

    LifecycleTest.leave(fx, agent);

    JsonObject failed = fx.awaitFinal(job);
    assertEquals("RESUME_TIMEOUT", failed.getJsonObject("error").getString("code"), failed::encode);
    assertTrue(failed.getJsonObject("error").getBoolean("retryable"));
    fx.awaitEmptyDownloadDir();
  }

  @Test
  void an_operator_pause_frees_the_agent_and_a_resume_waits_for_it_to_be_idle() throws Exception {
    Path big = fx.randomFile("big.bin", CHUNKS * (long) Fixture.CHUNK);
    AtomicInteger frames = new AtomicInteger();
    fx.agent("till", big, c -> new SlowAgent(c, frames));
    JsonObject first = fx.startPull("till", null);
    awaitFrames(frames, 10);

    JsonObject paused = pause(first);
    assertEquals("paused", paused.getString("status"), paused::encode);
    assertEquals("OPERATOR", paused.getString("pausedReason"));
    assertEquals(paused.getString("status"), pause(first).getString("status"), "pausing twice changes nothing");

    JsonObject second = fx.startPull("till", null); // the agent is free
    assertEquals("in_progress", second.getString("status"), second::encode);
    JsonObject waiting = resume(first);
    assertEquals("paused", waiting.getString("status"), waiting::encode);
    assertEquals("AGENT_BUSY", waiting.getString("pausedReason"));
    assertFails(ErrorCode.DOWNLOAD_NOT_PAUSED, fx.vertx.eventBus().request(Addresses.DOWNLOADS_RESUME,
      new JsonObject().put("requestId", second.getString("requestId"))));

    assertEquals("completed", fx.awaitFinal(second).getString("status"));
    JsonObject done = fx.awaitFinal(first);
    assertEquals("completed", done.getString("status"), done::encode);
    assertEquals(Fixture.sha256(big), done.getJsonObject("file").getString("sha256"));
    assertEquals(1, done.getInteger("resumes"));
    assertFails(ErrorCode.DOWNLOAD_NOT_ACTIVE, fx.vertx.eventBus().request(Addresses.DOWNLOADS_PAUSE,
      new JsonObject().put("requestId", first.getString("requestId"))));
  }

  @Test
  void a_file_rewritten_while_its_pull_is_paused_is_fetched_again_whole_in_its_new_version() throws Exception {
    Path file = fx.randomFile("f.bin", CHUNKS * (long) Fixture.CHUNK);
    AtomicInteger frames = new AtomicInteger();
    fx.agent("pos", file, c -> new SlowAgent(c, frames));
    JsonObject job = fx.startPull("pos", null);
    List<String> events = new CopyOnWriteArrayList<>();
    fx.vertx.eventBus().<JsonObject>consumer(Addresses.downloadEvents(job.getString("requestId")),
      m -> events.add(m.body().getString("event")));
    awaitFrames(frames, 20);
    pause(job);

    fx.randomFile("f.bin", CHUNKS * (long) Fixture.CHUNK - 3); // same name, other bytes and size
    frames.set(0);
    resume(job);
    JsonObject done = fx.awaitFinal(job);

    assertEquals("completed", done.getString("status"), done::encode);
    assertEquals(Fixture.sha256(file), done.getJsonObject("file").getString("sha256"), "the new version");
    assertEquals(Fixture.sha256(file), Fixture.sha256(Path.of(done.getJsonObject("file").getString("path"))));
    assertTrue(frames.get() >= CHUNKS, "every chunk of the new version was fetched: " + frames.get());
    assertTrue(events.contains("file_changed"), events::toString);
  }

  @Test
  void a_retry_takes_over_the_chunks_its_failed_predecessor_verified_even_across_a_restart() throws Exception {
    fx.server.stop().await();
    fx.with(c -> c.setDownloadTimeout(700)).start();
    Path file = fx.randomFile("f.bin", CHUNKS * (long) Fixture.CHUNK);
    AtomicInteger frames = new AtomicInteger();
    fx.agent("kiosk", file, c -> new SlowAgent(c, frames));
    JsonObject failed = fx.awaitFinal(fx.startPull("kiosk", null));
    assertEquals("DOWNLOAD_TIMEOUT", failed.getJsonObject("error").getString("code"), failed::encode);
    int kept = failed.getInteger("chunksDone");
    assertTrue(kept > 0 && kept < CHUNKS, failed::encode);

    int wsPort = fx.server.wsPort();
    fx.server.stop().await();
    fx.expectReconnect("kiosk");
    fx.with(c -> c.setDownloadTimeout(60_000).setWsPort(wsPort)).start();
    fx.awaitConnected("kiosk");
    frames.set(0);
    JsonObject retry = fx.request(Addresses.DOWNLOADS_RETRY, new JsonObject().put("requestId", failed.getString("requestId")));
    JsonObject done = fx.awaitFinal(retry);

    assertEquals("completed", done.getString("status"), done::encode);
    assertEquals(Fixture.sha256(file), Fixture.sha256(Path.of(done.getJsonObject("file").getString("path"))));
    assertTrue(frames.get() <= CHUNKS - kept, "the retry fetched only what was missing: " + frames.get() + " of " + CHUNKS);
    assertEquals(1, fx.downloadDirContents().size(), "one published file, no part files: " + fx.downloadDirContents());
  }

  private JsonObject pause(JsonObject job) {
    return fx.request(Addresses.DOWNLOADS_PAUSE, new JsonObject().put("requestId", job.getString("requestId")));
  }

  private JsonObject resume(JsonObject job) {
    return fx.request(Addresses.DOWNLOADS_RESUME, new JsonObject().put("requestId", job.getString("requestId")));
  }
}
