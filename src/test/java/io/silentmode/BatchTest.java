package io.silentmode;

import io.silentmode.agent.AgentConfig;
import io.silentmode.agent.AgentVerticle;
import io.silentmode.server.Addresses;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.silentmode.Api.problem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An operator pulls from many agents at once: a batch picks them by label selector (or by id), runs at most
 * {@code concurrency} members at a time, sums them up, and can be cancelled, retried and survives a restart.
 */
@ExtendWith(VertxExtension.class)
class BatchTest {

  @TempDir
  Path dir;
  Fixture fx;
  Api api;

  @BeforeEach
  void setUp(Vertx vertx) {
    fx = new Fixture(vertx, dir).start();
    api = fx.api();
  }

  @Test
  void a_batch_over_fifty_agents_at_concurrency_ten_pulls_every_file_byte_identical_never_more_than_ten_at_once(Vertx vertx)
    throws Exception {
    Path file = fx.randomFile("f.bin", 5L * Fixture.CHUNK + 3);
    for (int i = 0; i < 50; i++) {
      labelled("eu-" + i, file, "region", "eu");
    }
    labelled("us-0", file, "region", "us");
    JsonObject ask = new JsonObject().put("selector", "region=eu").put("concurrency", 10).put("priority", "low");

    HttpResponse<Buffer> first = create(ask, "batch-key-1");
    JsonObject batch = Api.expect(first, 202);
    String id = batch.getString("batchId");
    assertEquals("/api/v1/batches/" + id, first.getHeader("Location"));
    assertEquals(50, batch.getInteger("matched"));
    assertEquals(50, batch.getJsonArray("members").size());
    HttpResponse<Buffer> again = create(ask, "batch-key-1");
    assertEquals(id, Api.expect(again, 202).getString("batchId"), "the same key and body give the same batch");
    assertEquals("true", again.getHeader("Idempotent-Replayed"));
    problem(create(ask.copy().put("concurrency", 11), "batch-key-1"), 422, "IDEMPOTENCY_KEY_REUSED");

    List<JsonObject> events = sse(vertx, "/api/v1/batches/" + id + "/events");
    JsonObject done = api.get("getBatch", "/api/v1/batches/" + id, 200);
    assertEquals("completed", done.getString("status"), done::encode);
    assertEquals(50, done.getJsonObject("counts").getInteger("completed"));
    assertEquals(50L * file.toFile().length(), done.getLong("bytesDone"));

    List<JsonObject> jobs = members(id);
    assertEquals(50, jobs.size());
    String sha = Fixture.sha256(file);
    for (JsonObject job : jobs) {
      assertEquals(id, job.getString("batchId"));
      assertEquals("completed", job.getString("status"), job::encode);
      assertEquals("low", job.getString("priority"));
      assertEquals(sha, Fixture.sha256(Path.of(job.getJsonObject("file").getString("path"))));
      assertTrue(job.getString("clientId").startsWith("eu-"));
    }
    int most = mostAtOnce(jobs);
    assertTrue(most <= 10 && most >= 2, "members running at once, from the job timeline: " + most);

    JsonObject last = events.get(events.size() - 1);
    assertEquals("final", last.getString("event"));
    assertEquals(done.getJsonObject("counts"), last.getJsonObject("data").getJsonObject("counts"));
    long memberEnds = events.stream().filter(e -> "member".equals(e.getString("event"))
      && "completed".equals(e.getJsonObject("data").getString("status"))).count();
    int doneAtStart = events.get(0).getJsonObject("data").getJsonObject("counts").getInteger("completed");
    assertEquals(50, doneAtStart + memberEnds, "the stream's first state plus one member event per end after it");
    assertTrue(events.stream().anyMatch(e -> "state".equals(e.getString("event"))
      && e.getJsonObject("data").getJsonObject("counts").getInteger("running") > 0), "running members were counted");
    JsonObject page = api.get("listBatches", "/api/v1/batches?limit=1", 200);
    assertEquals(id, page.getJsonArray("items").getJsonObject(0).getString("batchId"));
    assertNull(page.getJsonArray("items").getJsonObject(0).getJsonArray("members"), "the list carries no member lists");
  }

  @Test
  void cancelling_a_batch_midway_stops_the_members_not_done_and_leaves_no_temp_files() throws Exception {
    Path file = fx.randomFile("slow.bin", 40L * Fixture.CHUNK);
    JsonArray ids = new JsonArray();
    for (int i = 0; i < 8; i++) {
      fx.agent("slow-" + i, file, c -> new LifecycleTest.SlowAgent(c, new AtomicInteger()));
      ids.add("slow-" + i);
    }
    JsonObject batch = api.post("createBatch", "/api/v1/batches", new JsonObject().put("clientIds", ids).put("concurrency", 2), 202);
    String id = batch.getString("batchId");
    JsonObject running = awaitBatch(id, b -> b.getJsonObject("counts").getInteger("running") == 2);
    String held = running.getJsonArray("members").stream().map(JsonObject.class::cast)
      .filter(m -> "queued".equals(m.getString("status"))).findFirst().orElseThrow().getString("requestId");
    assertEquals("BATCH_CONCURRENCY", api.get("getDownload", "/api/v1/downloads/" + held, 200).getString("queuedReason"));
    problem(api.call("pauseDownload", HttpMethod.POST, "/api/v1/downloads/" + held + "/pause", null), 409, "DOWNLOAD_NOT_ACTIVE");

    JsonObject cancelling = api.delete("cancelBatch", "/api/v1/batches/" + id, 200);
    assertTrue(List.of("cancelling", "cancelled").contains(cancelling.getString("status")), cancelling::encode);
    JsonObject ended = awaitBatch(id, b -> b.getString("finishedAt") != null);
    assertEquals("cancelled", ended.getString("status"));
    JsonObject counts = ended.getJsonObject("counts");
    assertEquals(8, counts.getInteger("cancelled") + counts.getInteger("completed"), counts::encode);
    assertTrue(counts.getInteger("cancelled") >= 6, counts::encode);
    for (JsonObject job : members(id)) {
      if ("cancelled".equals(job.getString("status")) && job.getString("startedAt") == null) {
        continue; // held: never started
      }
      assertTrue(List.of("cancelled", "completed").contains(job.getString("status")), job::encode);
    }
    fx.awaitEmptyDownloadDirOfTempFiles();
    problem(api.call("cancelBatch", HttpMethod.DELETE, "/api/v1/batches/" + id, null), 409, "BATCH_NOT_ACTIVE");
  }

  @Test
  void retry_runs_again_the_failed_members_only() throws Exception {
    Path file = fx.randomFile("f.bin", 3L * Fixture.CHUNK);
    Path missing = dir.resolve("later.bin");
    for (int i = 0; i < 4; i++) {
      labelled("ok-" + i, file, "fleet", "r");
    }
    for (int i = 0; i < 2; i++) {
      labelled("bad-" + i, missing, "fleet", "r");
    }
    String id = api.post("createBatch", "/api/v1/batches", new JsonObject().put("selector", "fleet=r"), 202).getString("batchId");
    JsonObject failed = awaitBatch(id, b -> b.getString("finishedAt") != null);
    assertEquals("failed", failed.getString("status"), failed::encode);
    assertEquals(4, failed.getJsonObject("counts").getInteger("completed"));
    assertEquals(2, failed.getJsonObject("counts").getInteger("failed"));
    Map<String, String> before = jobOf(failed);

    Files.copy(file, missing);
    JsonObject retried = api.post("retryBatch", "/api/v1/batches/" + id + "/retry", null, 202);
    assertNull(retried.getString("finishedAt"));
    JsonObject done = awaitBatch(id, b -> b.getString("finishedAt") != null);
    assertEquals("completed", done.getString("status"), done::encode);
    Map<String, String> after = jobOf(done);
    for (String client : before.keySet()) {
      if (client.startsWith("ok-")) {
        assertEquals(before.get(client), after.get(client), "a completed member is not pulled again");
      } else {
        assertNotEquals(before.get(client), after.get(client));
        JsonObject job = api.get("getDownload", "/api/v1/downloads/" + after.get(client), 200);
        assertEquals(before.get(client), job.getString("retryOf"));
        assertEquals(Fixture.sha256(file), job.getJsonObject("file").getString("sha256"));
      }
    }
    assertEquals(8, api.get("listDownloads", "/api/v1/downloads?batchId=" + id, 200).getJsonArray("items").size(),
      "4 completed, 2 failed and their 2 retries");
    problem(api.call("retryBatch", HttpMethod.POST, "/api/v1/batches/" + id + "/retry", null), 409, "BATCH_NOT_RETRYABLE");
  }

  @Test
  void a_bad_batch_request_is_a_400_that_says_why_and_where() throws Exception {
    labelled("eu-1", fx.randomFile("f.bin", 10), "region", "eu");
    JsonObject p = problem(post(new JsonObject().put("selector", "region in (eu")), 400, "VALIDATION_FAILED");
    assertEquals("selector: expected ',' or ')' at position 14, found the end", p.getString("detail"));
    problem(post(new JsonObject().put("selector", "region=mars")), 400, "VALIDATION_FAILED");
    problem(post(new JsonObject().put("selector", "region=eu").put("clientIds", new JsonArray().add("eu-1"))), 400, "VALIDATION_FAILED");
    problem(post(new JsonObject()), 400, "VALIDATION_FAILED");
    problem(post(new JsonObject().put("clientIds", new JsonArray().add("eu-1").add("nobody"))), 404, "CLIENT_NOT_FOUND");
    problem(post(new JsonObject().put("selector", "region=eu").put("deadline", Instant.now().minusSeconds(5).toString())), 400,
      "VALIDATION_FAILED");
    problem(post(new JsonObject().put("selector", "region=eu").put("concurrency", 0)), 400, "VALIDATION_FAILED");
    problem(api.call("getBatch", HttpMethod.GET, "/api/v1/batches/00000000-0000-0000-0000-000000000001", null), 404, "BATCH_NOT_FOUND");
    assertEquals(0, api.get("listDownloads", "/api/v1/downloads", 200).getJsonArray("items").size(), "no job was left behind");
  }

  @Test
  void a_batch_survives_a_server_restart_and_finishes_when_its_agents_come_back(Vertx vertx) throws Exception {
    Path file = fx.randomFile("f.bin", 4L * Fixture.CHUNK);
    List<AgentVerticle> gone = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      gone.add(labelled("shop-" + i, file, "store", "x"));
    }
    for (int i = 0; i < 3; i++) {
      AgentVerticle agent = gone.get(i);
      Promise<Void> left = Promise.promise();
      String clientId = "shop-" + i;
      var consumer = vertx.eventBus().<JsonObject>consumer(Addresses.REGISTRY_EVENTS, m -> {
        if ("disconnected".equals(m.body().getString("event")) && clientId.equals(m.body().getString("clientId"))) {
          left.tryComplete();
        }
      });
      vertx.undeploy(agent.deploymentID()).await();
      left.future().timeout(10, TimeUnit.SECONDS).await();
      consumer.unregister();
    }
    JsonObject batch = api.post("createBatch", "/api/v1/batches", new JsonObject().put("selector", "store=x").put("concurrency", 2), 202);
    String id = batch.getString("batchId");
    assertEquals(3, batch.getJsonObject("counts").getInteger("agentOffline"));

    int wsPort = fx.server.wsPort();
    int apiPort = fx.server.apiPort();
    fx.server.stop().await();
    fx.with(c -> c.setWsPort(wsPort).setPort(apiPort)).start();
    JsonObject restored = api.get("getBatch", "/api/v1/batches/" + id, 200);
    assertEquals("running", restored.getString("status"), restored::encode);
    assertEquals(batch.getJsonArray("members").stream().map(m -> ((JsonObject) m).getString("requestId")).sorted().toList(),
      restored.getJsonArray("members").stream().map(m -> ((JsonObject) m).getString("requestId")).sorted().toList());

    for (int i = 0; i < 3; i++) {
      labelled("shop-" + i, file, "store", "x");
    }
    JsonObject done = awaitBatch(id, b -> b.getString("finishedAt") != null);
    assertEquals("completed", done.getString("status"), done::encode);
    assertTrue(mostAtOnce(members(id)) <= 2);
  }

  @Test
  void with_every_slot_taken_a_high_priority_pull_starts_before_the_members_of_a_low_priority_batch() throws Exception {
    fx.server.stop().await();
    fx.with(c -> c.setMaxActivePulls(1)).start();
    api = fx.api();
    List<String> starts = new CopyOnWriteArrayList<>();
    fx.vertx.eventBus().<JsonObject>consumer(Addresses.DOWNLOADS_EVENTS, m -> {
      if ("in_progress".equals(m.body().getString("status")) && !starts.contains(m.body().getString("requestId"))) {
        starts.add(m.body().getString("requestId"));
      }
    });
    fx.agent("busy", fx.randomFile("big.bin", 100L * Fixture.CHUNK), c -> new LifecycleTest.SlowAgent(c, new AtomicInteger()));
    Path small = fx.randomFile("s.bin", 2L * Fixture.CHUNK);
    for (int i = 0; i < 20; i++) {
      labelled("low-" + i, small, "tier", "low");
    }
    fx.agent("urgent", small);
    String running = api.startPull("busy");
    String batch = api.post("createBatch", "/api/v1/batches", new JsonObject().put("selector", "tier=low")
      .put("concurrency", 20).put("priority", "low"), 202).getString("batchId");
    JsonObject high = api.post("createDownload", "/api/v1/downloads", new JsonObject().put("clientId", "urgent")
      .put("priority", "high"), 202);
    assertEquals("queued", high.getString("status"), high::encode);
    assertEquals(1, high.getInteger("queuePosition"), "first in line, ahead of the 20 released low members");

    JsonObject done = awaitBatch(batch, b -> b.getString("finishedAt") != null);
    assertEquals("completed", done.getString("status"));
    assertEquals(List.of(running, high.getString("requestId")), starts.subList(0, 2), "the high one started next");
  }

  @Test
  void a_member_whose_agent_stays_offline_fails_at_the_deadline_and_the_end_is_one_webhook_for_the_batch(Vertx vertx)
    throws Exception {
    fx.server.stop().await();
    fx.with(c -> c.setAllowPrivateCallbacks(true)).start(); // the receiver is on loopback
    api = fx.api();
    List<JsonObject> hooks = new CopyOnWriteArrayList<>();
    Promise<JsonObject> hook = Promise.promise();
    int port = vertx.createHttpServer().requestHandler(rq -> rq.body().onSuccess(b -> {
      hooks.add(b.toJsonObject());
      hook.tryComplete(b.toJsonObject());
      rq.response().end();
    })).listen(0, "127.0.0.1").await().actualPort();
    Path file = fx.randomFile("f.bin", 2L * Fixture.CHUNK);
    labelled("here", file, "shop", "y");
    AgentVerticle away = labelled("away", file, "shop", "y");
    Promise<Void> left = Promise.promise();
    vertx.eventBus().<JsonObject>consumer(Addresses.REGISTRY_EVENTS, m -> {
      if ("disconnected".equals(m.body().getString("event"))) {
        left.tryComplete();
      }
    });
    vertx.undeploy(away.deploymentID()).await();
    left.future().timeout(10, TimeUnit.SECONDS).await();

    String id = api.post("createBatch", "/api/v1/batches", new JsonObject().put("selector", "shop=y").put("concurrency", 1)
      .put("deadline", Instant.now().plusMillis(1500).toString())
      .put("callbackUrl", "http://127.0.0.1:" + port + "/hooks"), 202).getString("batchId");
    JsonObject done = awaitBatch(id, b -> b.getString("finishedAt") != null);
    assertEquals("failed", done.getString("status"), done::encode);
    assertEquals(1, done.getJsonObject("counts").getInteger("completed"));
    JsonObject missed = members(id).stream().filter(j -> "away".equals(j.getString("clientId"))).findFirst().orElseThrow();
    assertEquals("CLIENT_NOT_CONNECTED", missed.getJsonObject("error").getString("code"), missed::encode);
    assertTrue(missed.getJsonObject("error").getString("message").contains("deadline"), missed::encode);

    JsonObject payload = hook.future().timeout(10, TimeUnit.SECONDS).await();
    assertEquals("batch.failed", payload.getString("type"));
    assertEquals(id, payload.getJsonObject("data").getString("batchId"));
    assertEquals(1, payload.getJsonObject("data").getJsonObject("counts").getInteger("failed"));
    for (JsonObject job : members(id)) {
      assertNull(job.getString("callbackUrl"), "members have no webhook of their own unless memberCallbacks");
      assertNull(job.getJsonObject("webhook"));
    }
  }

  // ---- helpers -------------------------------------------------------------------------------------------

  private AgentVerticle labelled(String clientId, Path file, String key, String value) {
    return fx.agent(clientId, file, c -> new AgentVerticle(c, Map.of(key, value)));
  }

  private HttpResponse<Buffer> create(JsonObject body, String key) {
    return api.call("createBatch", HttpMethod.POST, "/api/v1/batches", body, r -> r.putHeader("Idempotency-Key", key));
  }

  private HttpResponse<Buffer> post(JsonObject body) {
    return api.call("createBatch", HttpMethod.POST, "/api/v1/batches", body);
  }

  /** Every member job, through the job list. */
  private List<JsonObject> members(String batchId) {
    JsonArray items = api.get("listDownloads", "/api/v1/downloads?limit=500&batchId=" + batchId, 200).getJsonArray("items");
    return items.stream().map(o -> (JsonObject) o).toList();
  }

  private static Map<String, String> jobOf(JsonObject batch) {
    Map<String, String> map = new HashMap<>();
    batch.getJsonArray("members").forEach(m -> map.put(((JsonObject) m).getString("clientId"), ((JsonObject) m).getString("requestId")));
    return map;
  }

  /**
   * The most jobs running at one instant, from their own timestamps: a job runs over [startedAt, finishedAt). A
   * member the batch lets go when another ends starts after that one's finishedAt, by cause.
   */
  static int mostAtOnce(List<JsonObject> jobs) {
    List<long[]> edges = new ArrayList<>();
    for (JsonObject job : jobs) {
      if (job.getString("startedAt") != null) {
        edges.add(new long[] {nanos(job.getString("startedAt")), 1});
        edges.add(new long[] {nanos(job.getString("finishedAt")), -1});
      }
    }
    edges.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
    int now = 0;
    int most = 0;
    for (long[] edge : edges) {
      now += (int) edge[1];
      most = Math.max(most, now);
    }
    return most;
  }

  private static long nanos(String stamp) {
    Instant at = Instant.parse(stamp);
    return at.getEpochSecond() * 1_000_000_000L + at.getNano();
  }

  private interface Check {
    boolean holds(JsonObject batch);
  }

  private JsonObject awaitBatch(String id, Check check) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 60_000;
    while (true) {
      JsonObject b = api.get("getBatch", "/api/v1/batches/" + id, 200);
      if (check.holds(b)) {
        return b;
      }
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("batch not there yet: " + b.encode());
      }
      Thread.sleep(20);
    }
  }

  /** Reads an SSE stream to its end: each event as {@code {event, id, data}}. */
  private List<JsonObject> sse(Vertx vertx, String path) {
    HttpClient client = vertx.createHttpClient();
    Buffer all = client.request(new RequestOptions().setHost("127.0.0.1").setPort(fx.server.apiPort()).setURI(path)
        .addHeader("Authorization", fx.authorization()))
      .compose(r -> r.send()).compose(r -> {
        assertEquals(200, r.statusCode());
        return r.body();
      }).timeout(90, TimeUnit.SECONDS).await();
    List<JsonObject> events = new ArrayList<>();
    for (String block : all.toString().split("\n\n")) {
      JsonObject e = new JsonObject();
      for (String line : block.split("\n")) {
        if (line.startsWith("event: ")) {
          e.put("event", line.substring(7));
        } else if (line.startsWith("id: ")) {
          e.put("id", Long.parseLong(line.substring(4)));
        } else if (line.startsWith("data: ")) {
          e.put("data", new JsonObject(line.substring(6)));
        }
      }
      if (e.containsKey("event")) {
        events.add(e);
      }
    }
    return events;
  }
}
