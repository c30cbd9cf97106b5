package io.silentmode;

import io.silentmode.process.BlackHoleProxy;
import io.silentmode.process.JvmProcess;
import io.silentmode.pg.PostgresServer;
import io.silentmode.process.ProcessHarness;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 15's resume scenarios with the real binary: a server and an agent in their own JVMs on loopback, the agent
 * dialing through a proxy that carries its bytes at {@link #RATE} (so that "halfway" lasts long enough to act in)
 * and can black-hole the link. Pulls are started and followed over the REST API, every answer checked against the
 * contract. Processes are killed with SIGKILL, as a crash or an OOM killer would.
 */
@ExtendWith(VertxExtension.class)
class ResumeProcessTest {

  private static final int CHUNK = 256 * 1024;
  private static final int WINDOW = 8;
  private static final long SIZE = 16L * 1024 * 1024;
  private static final long RATE = 8L * 1024 * 1024;
  private static final String AGENT = "shop-1";
  private static final Set<String> FINAL = Set.of("completed", "failed", "cancelled");

  @RegisterExtension
  final ProcessHarness harness = new ProcessHarness();
  private BlackHoleProxy proxy;
  private Api api;
  private Path served;
  /** The job store of the servers of this test: files under DATA_DIR unless a scenario names another. */
  private List<String> storeFlags = List.of();

  @BeforeEach
  void start(Vertx vertx) throws IOException {
    proxy = BlackHoleProxy.start(vertx, harness.wsPort()).throttle(RATE);
    api = new Api(vertx, harness.apiPort());
    served = harness.randomFile("file_to_download.txt", SIZE, 15);
  }

  @Test
  void an_uninterrupted_pull_sends_every_byte_once() throws Exception {
    server();
    agent();
    JsonObject job = awaitFinal(startPull());
    assertCompletedWith(served, job);
    assertEquals(0, job.getLong("bytesResent"), job::encode);
    assertEquals(0, job.getInteger("resumes"), job::encode);
  }

  @Test
  void agent_killed_halfway_and_started_again_resumes_and_resends_at_most_one_window() throws Exception {
    server();
    JvmProcess agent = agent();
    String id = startPull();
    awaitHalfway(id);
    agent.kill();
    awaitPaused(id, "AGENT_DISCONNECTED");
    agent();
    JsonObject job = awaitFinal(id);
    assertCompletedWith(served, job);
    assertTrue(job.getInteger("resumes") >= 1, job::encode);
    assertTrue(job.getLong("bytesResent") <= (long) WINDOW * CHUNK, () -> "more than a window re-sent: " + job.encode());
  }

  @ParameterizedTest(name = "records {0}")
  @EnumSource(Store.class)
  void server_killed_halfway_and_started_again_on_the_same_dirs_completes_with_one_published_file(Store records) throws Exception {
    storeFlags = records.freshFlags();
    restartServerHalfway(JvmProcess::kill);
  }

  @ParameterizedTest(name = "records {0}")
  @EnumSource(Store.class)
  void server_stopped_halfway_and_started_again_on_the_same_dirs_completes_with_one_published_file(Store records) throws Exception {
    storeFlags = records.freshFlags();
    restartServerHalfway(JvmProcess::stop);
  }

  private void restartServerHalfway(Interruption stop) throws Exception {
    JvmProcess server = server();
    agent();
    String id = startPull();
    awaitHalfway(id);
    stop.on(server);
    server();
    JsonObject job = awaitFinal(id);
    assertCompletedWith(served, job);
    assertTrue(job.getInteger("resumes") >= 1, job::encode);
    assertEquals(List.of(Path.of(job.getJsonObject("file").getString("path"))), awaitNoPartFiles());
    assertEquals(storeFlags.isEmpty(), Files.exists(harness.dataDir().resolve("jobs")), "the job records went where DATABASE_URL says");
  }

  @Test
  void a_byte_flipped_in_the_part_file_while_the_server_is_down_is_fetched_again_not_published() throws Exception {
    JvmProcess server = server();
    agent();
    String id = startPull();
    awaitHalfway(id);
    server.kill();
    flipByte(partFile(), 17); // in chunk 0, verified and recorded long before halfway
    server();
    assertCompletedWith(served, awaitFinal(id));
  }

  @Test
  void a_black_holed_link_is_dropped_by_heartbeat_and_the_pull_resumes_once_the_agent_is_back() throws Exception {
    server("--heartbeat-interval", "400");
    agent();
    String id = startPull();
    awaitHalfway(id);
    proxy.blackHole();
    awaitPaused(id, "AGENT_DISCONNECTED");
    proxy.restore(); // the agent's own watchdog (3 heartbeats + 1 s) closes its dead socket and dials again
    JsonObject job = awaitFinal(id);
    assertCompletedWith(served, job);
    assertTrue(job.getInteger("resumes") >= 1, job::encode);
  }

  @Test
  void a_file_rewritten_on_the_agent_while_the_pull_is_paused_is_pulled_again_as_its_new_version() throws Exception {
    server();
    JvmProcess agent = agent();
    String id = startPull();
    awaitHalfway(id);
    agent.kill();
    awaitPaused(id, "AGENT_DISCONNECTED");
    Path rewritten = harness.randomFile(served.getFileName().toString(), SIZE, 16); // same path, size and inode
    agent();
    assertCompletedWith(rewritten, awaitFinal(id));
  }

  @Test
  void a_pull_paused_longer_than_RESUME_TIMEOUT_fails_and_leaves_no_part_files() throws Exception {
    server("--resume-timeout", "1500");
    JvmProcess agent = agent();
    String id = startPull();
    awaitHalfway(id);
    agent.kill();
    assertNotNull(awaitPaused(id, "AGENT_DISCONNECTED").getString("pausedUntil"));
    JsonObject job = awaitFinal(id);
    assertEquals("failed", job.getString("status"), job::encode);
    assertEquals("RESUME_TIMEOUT", job.getJsonObject("error").getString("code"), job::encode);
    assertEquals(List.of(), awaitNoPartFiles());
  }

  private interface Interruption {
    void on(JvmProcess process) throws InterruptedException;
  }

  private JvmProcess server(String... flags) throws IOException, InterruptedException {
    List<String> all = new ArrayList<>(List.of("--chunk-size", String.valueOf(CHUNK), "--chunk-window",
      String.valueOf(WINDOW), "--chunk-retry-delay", "50", "--chunk-timeout", "15000"));
    all.addAll(storeFlags);
    all.addAll(List.of(flags));
    JvmProcess server = harness.server(all.toArray(String[]::new));
    api.token = harness.adminToken();
    return server;
  }

  /** Where a server that is killed keeps its job records; the other scenarios do not depend on it. */
  enum Store {
    IN_FILES, IN_POSTGRESQL;

    /** The server flags of an empty store of this kind: a fresh database of the shared test PostgreSQL. */
    List<String> freshFlags() {
      return this == IN_FILES ? List.of() : List.of("--database-url", PostgresServer.shared().newDatabase());
    }
  }

  /** Starts the agent (again) and waits until the server says it is connected. */
  private JvmProcess agent() throws IOException, InterruptedException {
    JvmProcess agent = harness.agent(AGENT, served, proxy.url());
    long deadline = System.currentTimeMillis() + 30_000;
    while (!connected()) {
      if (!agent.isAlive() || System.currentTimeMillis() > deadline) {
        throw new AssertionError(agent + " did not connect:\n" + agent.tail(20));
      }
      Thread.sleep(20);
    }
    return agent;
  }

  /** 404 until the agent first registers with this DATA_DIR, then its state. */
  private boolean connected() {
    HttpResponse<Buffer> client = api.call("getClient", HttpMethod.GET, "/api/v1/clients/" + AGENT, null);
    return client.statusCode() == 200 && client.bodyAsJsonObject().getBoolean("connected");
  }

  private String startPull() {
    return api.startPull(AGENT);
  }

  private JsonObject awaitHalfway(String id) throws InterruptedException {
    return await(id, "halfway", job -> job.getLong("bytesDone") >= SIZE / 2);
  }

  private JsonObject awaitPaused(String id, String reason) throws InterruptedException {
    return await(id, "paused (" + reason + ")",
      job -> "paused".equals(job.getString("status")) && reason.equals(job.getString("pausedReason")));
  }

  private JsonObject awaitFinal(String id) throws InterruptedException {
    return await(id, "ended", job -> FINAL.contains(job.getString("status")));
  }

  /** Polls the job every 20 ms until {@code until}; fails at once if it ended otherwise, or after 30 s. */
  private JsonObject await(String id, String what, Predicate<JsonObject> until) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 30_000;
    while (true) {
      JsonObject job = api.get("getDownload", "/api/v1/downloads/" + id, 200);
      if (until.test(job)) {
        return job;
      }
      if (FINAL.contains(job.getString("status")) || System.currentTimeMillis() > deadline) {
        throw new AssertionError("the pull is not " + what + ": " + job.encode());
      }
      Thread.sleep(20);
    }
  }

  private static void assertCompletedWith(Path source, JsonObject job) throws IOException {
    assertEquals("completed", job.getString("status"), job::encode);
    String expected = Fixture.sha256(source);
    assertEquals(expected, job.getJsonObject("file").getString("sha256"), job::encode);
    assertEquals(expected, Fixture.sha256(Path.of(job.getJsonObject("file").getString("path"))), "the published bytes");
    assertEquals(SIZE, job.getLong("bytesDone"), job::encode);
  }

  /** The disk writer removes part files just after the final state: waits for them to go (5 s), returns the rest. */
  private List<Path> awaitNoPartFiles() throws IOException, InterruptedException {
    long deadline = System.currentTimeMillis() + 5_000;
    while (true) {
      List<Path> files = harness.downloadDirContents();
      if (files.stream().noneMatch(ResumeProcessTest::hidden)) {
        return files;
      }
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("DOWNLOAD_DIR still holds " + files);
      }
      Thread.sleep(20);
    }
  }

  private Path partFile() throws IOException {
    List<Path> parts = harness.downloadDirContents().stream()
      .filter(f -> hidden(f) && f.getFileName().toString().endsWith(".part")).toList();
    assertEquals(1, parts.size(), () -> "one part file expected in DOWNLOAD_DIR: " + parts);
    return parts.get(0);
  }

  private static boolean hidden(Path file) {
    return file.getFileName().toString().startsWith(".");
  }

  private static void flipByte(Path file, long position) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer one = ByteBuffer.allocate(1);
      assertEquals(1, channel.read(one, position));
      one.put(0, (byte) (one.get(0) ^ 0xFF)).rewind();
      channel.write(one, position);
    }
  }
}
