package io.silentmode;

import io.silentmode.ClusterHarness.Node;
import io.silentmode.agent.AgentConfig;
import io.silentmode.agent.AgentVerticle;
import io.silentmode.process.ProcessHarness;
import io.silentmode.protocol.Sha256;
import io.silentmode.server.Addresses;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three clustered servers on loopback sharing one DOWNLOAD_DIR, and agents dialling one node each: every operation
 * works through any node, reaching the node that owns the agent or the job.
 */
class ClusterPullTest {

  @TempDir
  static Path dir;
  static ClusterHarness cluster;
  /** The operators' and agents' side: a Vertx of its own, outside the cluster. */
  static Vertx outside;
  static HttpServer receiver;
  static final Map<String, AtomicInteger> webhooks = new ConcurrentHashMap<>();
  static final Map<String, AtomicInteger> delivered = new ConcurrentHashMap<>();
  static final Map<String, Promise<Void>> firstDelivery = new ConcurrentHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    outside = Vertx.vertx();
    receiver = outside.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      webhooks.computeIfAbsent(body.toJsonObject().getJsonObject("data").getString("requestId"), id -> new AtomicInteger())
        .incrementAndGet();
      req.response().setStatusCode(200).end();
    })).listen(0, "127.0.0.1").await();
    cluster = new ClusterHarness(dir, 3);
    for (int i = 0; i < 3; i++) {
      cluster.start(i, c -> c.setChunkSize(Fixture.CHUNK).setAllowPrivateCallbacks(true).setWebhookRetryDelay(20));
    }
    // A publish reaches the consumers of every node: were the webhook sender not node-local, each node would deliver.
    cluster.nodes.get(0).vertx().eventBus().<JsonObject>consumer(Addresses.WEBHOOKS_EVENTS, m -> {
      if ("delivered".equals(m.body().getString("outcome"))) {
        String id = m.body().getString("requestId");
        delivered.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
        firstDelivery.computeIfAbsent(id, k -> Promise.promise()).tryComplete();
      }
    }).completion().await();
  }

  @AfterAll
  static void stop() {
    outside.close().await(); // agents first: they would only redial the stopped nodes
    cluster.close();
  }

  @Test
  void an_agent_on_one_node_is_listed_and_pulled_through_the_others() throws Exception {
    Path file = randomFile("shop-a.bin", 40L * Fixture.CHUNK + 5);
    ClusterHarness.agent(outside, "shop-a", node(2), file, AgentVerticle::new);
    for (Node n : cluster.nodes) {
      JsonObject client = api(n).get("getClient", "/api/v1/clients/shop-a", 200);
      assertEquals("node-2", client.getString("node"), client.encode());
      assertTrue(client.getBoolean("connected"));
    }
    JsonObject listed = api(node(3)).get("listClients", "/api/v1/clients?connected=true", 200);
    assertTrue(listed.getJsonArray("items").stream().map(JsonObject.class::cast)
      .anyMatch(c -> "shop-a".equals(c.getString("clientId")) && "node-2".equals(c.getString("node"))), listed.encode());

    String id = api(node(1)).startPull("shop-a");
    // The stream on a third node follows the job to its final event.
    List<DownloadFlowTest.Event> events = DownloadFlowTest.Event.parse(api(node(3))
      .call("streamDownloadEvents", HttpMethod.GET, "/api/v1/downloads/" + id + "/events", null).bodyAsString());
    DownloadFlowTest.Event last = events.get(events.size() - 1);
    assertEquals("final", last.name());
    assertEquals("completed", last.data().getString("status"), last.data().encode());

    assertEquals("completed", api(node(1)).get("getDownload", "/api/v1/downloads/" + id, 200).getString("status"));
    HttpResponse<Buffer> content = api(node(3)).call("getDownloadContent", HttpMethod.GET, "/api/v1/downloads/" + id + "/content", null);
    assertEquals(200, content.statusCode());
    assertEquals(Fixture.sha256(file), Sha256.hex(Sha256.digest().digest(content.body().getBytes())));
    JsonObject jobs = api(node(3)).get("listDownloads", "/api/v1/downloads?clientId=shop-a", 200);
    assertEquals(List.of(id), jobs.getJsonArray("items").stream().map(j -> ((JsonObject) j).getString("requestId")).toList());
  }

  @Test
  void an_idempotency_key_is_honoured_whichever_node_gets_the_retry() throws Exception {
    ClusterHarness.agent(outside, "shop-b", node(3), randomFile("shop-b.bin", 4L * Fixture.CHUNK), AgentVerticle::new);
    JsonObject ask = new JsonObject().put("clientId", "shop-b");
    HttpResponse<Buffer> first = api(node(1)).call("createDownload", HttpMethod.POST, "/api/v1/downloads", ask,
      r -> r.putHeader("Idempotency-Key", "order-7"));
    assertEquals(202, first.statusCode(), first.bodyAsString());
    HttpResponse<Buffer> again = api(node(2)).call("createDownload", HttpMethod.POST, "/api/v1/downloads", ask,
      r -> r.putHeader("Idempotency-Key", "order-7"));
    assertEquals(202, again.statusCode(), again.bodyAsString());
    assertEquals("true", again.getHeader("Idempotent-Replayed"));
    assertEquals(first.bodyAsJsonObject().getString("requestId"), again.bodyAsJsonObject().getString("requestId"));
    HttpResponse<Buffer> other = api(node(3)).call("createDownload", HttpMethod.POST, "/api/v1/downloads",
      ask.copy().put("path", "/etc/other"), r -> r.putHeader("Idempotency-Key", "order-7"));
    Api.problem(other, 422, "IDEMPOTENCY_KEY_REUSED");
  }

  @Test
  void pause_resume_and_cancel_reach_the_owner_from_any_node() throws Exception {
    ClusterHarness.agent(outside, "shop-c", node(2), randomFile("shop-c.bin", 400L * Fixture.CHUNK),
      c -> new LifecycleTest.SlowAgent(c, new AtomicInteger()));
    String id = api(node(1)).startPull("shop-c");
    String job = "/api/v1/downloads/" + id;
    api(node(3)).awaitStatus(id, "in_progress");
    assertEquals("paused", api(node(3)).post("pauseDownload", job + "/pause", null, 200).getString("status"));
    assertEquals("in_progress", api(node(1)).post("resumeDownload", job + "/resume", null, 200).getString("status"));
    assertEquals("cancelled", api(node(3)).delete("cancelDownload", job, 200).getString("status"));
    assertEquals("cancelled", api(node(2)).get("getDownload", job, 200).getString("status"));
    Api.problem(api(node(1)).call("getDownload", HttpMethod.GET, "/api/v1/downloads/00000000-0000-4000-8000-000000000000", null),
      404, "DOWNLOAD_NOT_FOUND");
  }

  @Test
  void a_webhook_is_delivered_once_not_once_per_node() throws Exception {
    ClusterHarness.agent(outside, "shop-d", node(3), randomFile("shop-d.bin", 3L * Fixture.CHUNK), AgentVerticle::new);
    String callback = "http://127.0.0.1:" + receiver.actualPort() + "/hook";
    String first = api(node(1)).post("createDownload", "/api/v1/downloads",
      new JsonObject().put("clientId", "shop-d").put("callbackUrl", callback), 202).getString("requestId");
    firstDelivery.computeIfAbsent(first, k -> Promise.promise()).future().timeout(30, TimeUnit.SECONDS).await();
    // A second pull's delivery comes after any copies of the first's would have: they would leave at the same time.
    api(node(1)).awaitDone(first);
    String second = api(node(2)).post("createDownload", "/api/v1/downloads",
      new JsonObject().put("clientId", "shop-d").put("callbackUrl", callback), 202).getString("requestId");
    firstDelivery.computeIfAbsent(second, k -> Promise.promise()).future().timeout(30, TimeUnit.SECONDS).await();
    assertEquals(1, webhooks.get(first).get());
    assertEquals(1, delivered.get(first).get());
  }

  @Test
  void a_pull_follows_its_agent_to_another_node_and_resumes_there() throws Exception {
    Path file = randomFile("shop-e.bin", 300L * Fixture.CHUNK + 17);
    String first = ClusterHarness.agent(outside, "shop-e", node(1), file, c -> new LifecycleTest.SlowAgent(c, new AtomicInteger()));
    String id = api(node(2)).startPull("shop-e");
    String job = "/api/v1/downloads/" + id;
    long deadline = System.currentTimeMillis() + 30_000;
    while (api(node(2)).get("getDownload", job, 200).getLong("bytesDone") < 50L * Fixture.CHUNK) {
      assertTrue(System.currentTimeMillis() < deadline, "the pull does not move");
      Thread.sleep(20);
    }
    // The agent's node goes out of its reach; it dials another one (as behind a load balancer).
    outside.undeploy(first).await();
    ClusterHarness.agent(outside, "shop-e", node(3), file, AgentVerticle::new);

    JsonObject done = api(node(2)).awaitDone(id);
    assertEquals("completed", done.getString("status"), done.encode());
    assertTrue(done.getInteger("resumes") >= 1, done.encode());
    assertTrue(done.getLong("bytesResent") <= 16L * Fixture.CHUNK, "only the window is fetched again: " + done.encode());
    assertEquals("node-3", api(node(1)).get("getClient", "/api/v1/clients/shop-e", 200).getString("node"));
    HttpResponse<Buffer> content = api(node(1)).call("getDownloadContent", HttpMethod.GET, job + "/content", null);
    assertEquals(Fixture.sha256(file), Sha256.hex(Sha256.digest().digest(content.body().getBytes())));
    JsonObject listed = api(node(1)).get("listDownloads", "/api/v1/downloads?clientId=shop-e", 200);
    assertEquals(1, listed.getJsonArray("items").size(), "one job, not one per node that had it: " + listed.encode());
    try (var files = Files.list(dir.resolve("downloads"))) {
      assertEquals(List.of(), files.filter(f -> f.getFileName().toString().matches("\\..*\\.(part|sums)")).toList());
    }
  }

  @Test
  void a_batch_made_on_one_node_pulls_from_agents_on_every_node() throws Exception {
    List<String> ids = List.of("fleet-1", "fleet-2", "fleet-3");
    for (int i = 0; i < ids.size(); i++) {
      ClusterHarness.agent(outside, ids.get(i), node(i + 1), randomFile(ids.get(i) + ".bin", 5L * Fixture.CHUNK + i), AgentVerticle::new);
    }
    String id = api(node(1)).post("createBatch", "/api/v1/batches",
      new JsonObject().put("clientIds", new io.vertx.core.json.JsonArray(ids)).put("concurrency", 2), 202).getString("batchId");
    long deadline = System.currentTimeMillis() + 60_000;
    JsonObject batch;
    while (!"completed".equals((batch = api(node(3)).get("getBatch", "/api/v1/batches/" + id, 200)).getString("status"))) {
      assertTrue(System.currentTimeMillis() < deadline, "the batch does not end: " + batch.encode());
      Thread.sleep(50);
    }
    assertEquals(3, batch.getJsonObject("counts").getInteger("completed"), batch.encode());
    JsonObject members = api(node(2)).get("listDownloads", "/api/v1/downloads?batchId=" + id, 200);
    assertEquals(3, members.getJsonArray("items").size(), members.encode());
    assertTrue(api(node(2)).get("listBatches", "/api/v1/batches", 200).getJsonArray("items").stream()
      .anyMatch(b -> id.equals(((JsonObject) b).getString("batchId"))));
  }

  private static Node node(int n) {
    return cluster.nodes.get(n - 1);
  }

  private static Api api(Node node) {
    return ClusterHarness.api(outside, node);
  }

  private static Path randomFile(String name, long size) throws Exception {
    return ProcessHarness.writeRandom(dir.resolve(name), size, size);
  }
}
