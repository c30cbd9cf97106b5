package io.silentmode;

import io.silentmode.ClusterHarness.Node;
import io.silentmode.pg.PostgresServer;
import io.silentmode.process.ProcessHarness;
import io.silentmode.server.Addresses;
import io.silentmode.server.ServerConfig;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three clustered servers with their job records in one real PostgreSQL: a member that goes away leaves no job
 * behind; the others claim its records, and its pulls resume on the node their agents dial next.
 */
class ClusterPgTest {

  @TempDir
  Path dir;
  ClusterHarness cluster;
  Vertx outside;

  String url;

  @BeforeEach
  void start() throws Exception {
    url = PostgresServer.shared().newDatabase();
    outside = Vertx.vertx();
    cluster = new ClusterHarness(dir, 3);
    for (int i = 0; i < 3; i++) {
      cluster.start(i, this::settings);
    }
  }

  private void settings(ServerConfig config) {
    config.setChunkSize(Fixture.CHUNK).setDatabaseUrl(url);
  }

  @AfterEach
  void stop() {
    outside.close().await();
    cluster.close();
  }

  @Test
  void the_jobs_of_a_member_that_leaves_are_claimed_and_resume_where_their_agent_goes() throws Exception {
    Path file = ProcessHarness.writeRandom(dir.resolve("f.bin"), 300L * Fixture.CHUNK + 3, 300L * Fixture.CHUNK + 3);
    Node first = cluster.nodes.get(0);
    Node second = cluster.nodes.get(1);
    // SERVER_WS_URL lists two nodes: the agent dials the first, and the second once the first is gone.
    ClusterHarness.agent(outside, "shop-1", List.of(first, second), file, c -> new LifecycleTest.SlowAgent(c, new AtomicInteger()));
    Node other = cluster.nodes.get(2);
    Api api = ClusterHarness.api(outside, other);
    String id = api.startPull("shop-1");
    String job = "/api/v1/downloads/" + id;
    long deadline = System.currentTimeMillis() + 30_000;
    while (api.get("getDownload", job, 200).getLong("bytesDone") < 50L * Fixture.CHUNK) {
      assertTrue(System.currentTimeMillis() < deadline, "the pull does not move");
      Thread.sleep(20);
    }
    Promise<Void> moved = Promise.promise();
    second.vertx().eventBus().<JsonObject>localConsumer(Addresses.REGISTRY_EVENTS, m -> {
      if ("shop-1".equals(m.body().getString("clientId")) && "connected".equals(m.body().getString("event"))) {
        moved.tryComplete();
      }
    });
    cluster.stop(first); // its pull is recorded as running, as after a crash; its agent loses its node
    moved.future().timeout(30, TimeUnit.SECONDS).await();

    // Until a member has claimed the job it is nobody's: the API says 404 for that moment.
    while (api.call("getDownload", io.vertx.core.http.HttpMethod.GET, job, null).statusCode() == 404) {
      assertTrue(System.currentTimeMillis() < deadline + 30_000, "no member claimed the job");
      Thread.sleep(20);
    }
    JsonObject done = api.awaitDone(id);
    assertEquals("completed", done.getString("status"), done.encode());
    assertTrue(done.getInteger("resumes") >= 1, done.encode());
    assertTrue(done.getLong("bytesResent") <= 16L * Fixture.CHUNK, "only the window is fetched again: " + done.encode());
    assertEquals(Fixture.sha256(file), Fixture.sha256(Path.of(done.getJsonObject("file").getString("path"))));
    JsonObject listed = api.get("listDownloads", "/api/v1/downloads", 200);
    assertEquals(List.of(id), listed.getJsonArray("items").stream().map(j -> ((JsonObject) j).getString("requestId")).toList());
    try (var files = Files.list(dir.resolve("downloads"))) {
      assertEquals(List.of(), files.filter(f -> f.getFileName().toString().matches("\\..*\\.(part|sums)")).toList());
    }
  }

  @Test
  void a_pull_goes_on_through_a_rolling_restart_of_every_node() throws Exception {
    Path file = ProcessHarness.writeRandom(dir.resolve("big.bin"), 1200L * Fixture.CHUNK + 5, 1200L * Fixture.CHUNK + 5);
    ClusterHarness.agent(outside, "shop-2", List.copyOf(cluster.nodes), file, c -> new LifecycleTest.SlowAgent(c, new AtomicInteger()));
    String id = ClusterHarness.api(outside, cluster.nodes.get(2)).startPull("shop-2");
    long seen = 0;
    for (int i = 0; i < 3; i++) {
      seen = awaitMore(id, seen, i);
      cluster.restart(i, this::settings); // stop, then start again: the others hold the pull meanwhile
    }
    JsonObject done = awaitDone(id);
    assertEquals("completed", done.getString("status"), done.encode());
    // The agent dials node 1, 2, 3 in turn: each restart stopped the node that ran the pull.
    assertTrue(done.getInteger("resumes") >= 3, "paused and resumed at each restart: " + done.encode());
    assertEquals(Fixture.sha256(file), Fixture.sha256(Path.of(done.getJsonObject("file").getString("path"))));
    JsonObject listed = ClusterHarness.api(outside, cluster.nodes.get(0)).get("listDownloads", "/api/v1/downloads?clientId=shop-2", 200);
    assertEquals(1, listed.getJsonArray("items").size(), listed.encode());
  }

  /** Waits until the job has moved past {@code bytes}, asked through a node that is not node {@code restarting}. */
  private long awaitMore(String id, long bytes, int restarting) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 60_000;
    while (true) {
      JsonObject job = ask(id, restarting);
      if (job != null && job.getLong("bytesDone", 0L) > bytes + 20L * Fixture.CHUNK) {
        return job.getLong("bytesDone");
      }
      assertTrue(System.currentTimeMillis() < deadline, "the pull does not move: " + job);
      Thread.sleep(20);
    }
  }

  private JsonObject awaitDone(String id) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 120_000;
    while (true) {
      JsonObject job = ask(id, -1);
      if (job != null && List.of("completed", "failed", "cancelled").contains(job.getString("status"))) {
        return job;
      }
      assertTrue(System.currentTimeMillis() < deadline, "the pull does not end: " + job);
      Thread.sleep(50);
    }
  }

  /** The job through the first running node other than {@code not}; null while it is between owners (404). */
  private JsonObject ask(String id, int not) {
    ClusterHarness.Node node = cluster.nodes.stream().filter(n -> !n.name().equals("node-" + (not + 1))).findFirst().orElseThrow();
    var answer = ClusterHarness.api(outside, node).call("getDownload", io.vertx.core.http.HttpMethod.GET, "/api/v1/downloads/" + id, null);
    return answer.statusCode() == 200 ? answer.bodyAsJsonObject() : null;
  }
}
