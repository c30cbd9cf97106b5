package io.silentmode;

import io.silentmode.ClusterHarness.Node;
import io.silentmode.pg.PostgresServer;
import io.silentmode.process.ProcessHarness;
import io.silentmode.server.Addresses;
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

  @BeforeEach
  void start() throws Exception {
    String url = PostgresServer.shared().newDatabase();
    outside = Vertx.vertx();
    cluster = new ClusterHarness(dir, 3);
    for (int i = 0; i < 3; i++) {
      cluster.start(i, c -> c.setChunkSize(Fixture.CHUNK).setDatabaseUrl(url));
    }
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
}
