package io.silentmode;

import io.silentmode.server.ServerConfig;
import io.silentmode.server.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static io.silentmode.Api.problem;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What must hold across retries of a request, restarts of the server, webhook receivers and scrapes. */
@ExtendWith(VertxExtension.class)
class DurabilityTest {

  private static final byte[] WEBHOOK_KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);

  @TempDir
  Path dir;
  Fixture fx;
  Api api;

  @BeforeEach
  void setUp(Vertx vertx) {
    // The webhook receivers listen on 127.0.0.1, a target only ALLOW_PRIVATE_CALLBACKS permits.
    fx = new Fixture(vertx, dir).with(c -> c.setAllowPrivateCallbacks(true).setWebhookSecret("whsec_" + Base64.getEncoder().encodeToString(WEBHOOK_KEY))
      .setWebhookRetryDelay(20)).with(this::store).start();
    api = fx.api();
  }

  /** Where the server keeps its records: the file store under DATA_DIR here, PostgreSQL in {@link PgDurabilityTest}. */
  void store(ServerConfig config) {
  }

  @Test
  void an_idempotency_key_gives_one_job_even_under_concurrent_requests() throws Exception {
    fx.agent("shop-1", fx.randomFile("f.bin", 4L * Fixture.CHUNK));
    JsonObject body = new JsonObject().put("clientId", "shop-1");
    List<Future<HttpResponse<Buffer>>> racing = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      racing.add(api.web.post("/api/v1/downloads").bearerTokenAuthentication(api.token).putHeader("Idempotency-Key", "order-42")
        .sendJsonObject(body));
    }
    Set<String> jobs = new HashSet<>();
    int accepted = 0;
    for (Future<HttpResponse<Buffer>> f : racing) {
      HttpResponse<Buffer> r = f.await();
      api.validate("createDownload", r);
      if (r.statusCode() == 202) {
        accepted++;
        jobs.add(r.bodyAsJsonObject().getString("requestId"));
      } else {
        problem(r, 409, "IDEMPOTENCY_KEY_IN_USE");
      }
    }
    assertTrue(accepted >= 1);
    assertEquals(1, jobs.size(), "every accepted answer names the same job");
    String id = jobs.iterator().next();
    assertEquals(1, api.get("listDownloads", "/api/v1/downloads", 200).getJsonArray("items").size(), "one job was made");
    api.awaitDone(id);

    HttpResponse<Buffer> again = api.call("createDownload", HttpMethod.POST, "/api/v1/downloads", body,
      r -> r.putHeader("Idempotency-Key", "order-42"));
    assertEquals(id, Api.expect(again, 202).getString("requestId"), "same key, same body: the same job, also once finished");
    assertEquals("completed", again.bodyAsJsonObject().getString("status"));
    assertEquals("true", again.getHeader("Idempotent-Replayed"));

    problem(api.call("createDownload", HttpMethod.POST, "/api/v1/downloads", body.copy().put("path", "/etc/other"),
      r -> r.putHeader("Idempotency-Key", "order-42")), 422, "IDEMPOTENCY_KEY_REUSED");
    assertEquals(1, api.get("listDownloads", "/api/v1/downloads", 200).getJsonArray("items").size());
  }

  @Test
  void finished_jobs_their_files_known_agents_and_idempotency_keys_survive_a_restart() throws Exception {
    Path file = fx.randomFile("f.bin", 3L * Fixture.CHUNK + 1);
    fx.agent("shop-1", file);
    JsonObject body = new JsonObject().put("clientId", "shop-1");
    String id = Api.expect(api.call("createDownload", HttpMethod.POST, "/api/v1/downloads", body,
      r -> r.putHeader("Idempotency-Key", "k-1")), 202).getString("requestId");
    JsonObject before = api.awaitDone(id);

    restart();

    JsonObject after = api.get("getDownload", "/api/v1/downloads/" + id, 200);
    assertEquals(before.getString("status"), after.getString("status"));
    assertEquals(before.getJsonObject("file"), after.getJsonObject("file"));
    HttpResponse<Buffer> content = api.call("getDownloadContent", HttpMethod.GET, "/api/v1/downloads/" + id + "/content", null);
    assertEquals(200, content.statusCode());
    assertArrayEquals(Files.readAllBytes(file), content.body().getBytes());
    assertEquals(id, Api.expect(api.call("createDownload", HttpMethod.POST, "/api/v1/downloads", body,
      r -> r.putHeader("Idempotency-Key", "k-1")), 202).getString("requestId"));
  }

  @Test
  void after_a_restart_a_key_names_its_job_for_24_h_from_its_creation_and_no_longer_than_its_record() throws Exception {
    fx.agent("shop-1", fx.randomFile("f.bin", 1000));
    JsonObject body = new JsonObject().put("clientId", "shop-1");
    String young = keyedPull(body, "young");
    String old = keyedPull(body, "old");
    String pruned = keyedPull(body, "pruned");

    Instant now = Instant.now();
    restart(c -> c.setJobRetention(3_600_000), () -> {
      // As a day would have left the records: the first two waited long in the queue, the third ended 2 h ago.
      age(young, now.minus(23, ChronoUnit.HOURS), now.minus(30, ChronoUnit.MINUTES));
      age(old, now.minus(25, ChronoUnit.HOURS), now.minus(30, ChronoUnit.MINUTES));
      age(pruned, now.minus(2, ChronoUnit.HOURS), now.minus(2, ChronoUnit.HOURS));
    });
    fx.awaitConnected("shop-1");

    HttpResponse<Buffer> replayed = keyed(body, "young");
    assertEquals(young, Api.expect(replayed, 202).getString("requestId"), "23 h old: the same job");
    assertEquals("true", replayed.getHeader("Idempotent-Replayed"));
    for (String key : List.of("old", "pruned")) {
      HttpResponse<Buffer> fresh = keyed(body, key);
      String id = Api.expect(fresh, 202).getString("requestId");
      assertNotEquals(key.equals("old") ? old : pruned, id, key + ": a new job");
      assertNull(fresh.getHeader("Idempotent-Replayed"), key);
      api.awaitDone(id);
    }
  }

  private String keyedPull(JsonObject body, String key) throws InterruptedException {
    String id = Api.expect(keyed(body, key), 202).getString("requestId");
    api.awaitDone(id);
    return id;
  }

  private HttpResponse<Buffer> keyed(JsonObject body, String key) {
    return api.call("createDownload", HttpMethod.POST, "/api/v1/downloads", body, r -> r.putHeader("Idempotency-Key", key));
  }

  /** Rewrites a stored job record, while the server is stopped, as if the job had been made and ended at these times. */
  private void age(String requestId, Instant created, Instant finished) {
    fx.editStoredJob(requestId, job -> job.put("createdAt", created.toString()).put("startedAt", created.toString())
      .put("finishedAt", finished.toString()));
  }

  @Test
  void a_pull_running_when_the_server_stops_resumes_after_the_restart_from_its_verified_chunks() throws Exception {
    Path file = fx.randomFile("big.bin", 150L * Fixture.CHUNK);
    AtomicInteger frames = new AtomicInteger();
    String id = startSlowPull(file, frames);

    restart();
    JsonObject done = api.awaitDone(id);

    assertEquals("completed", done.getString("status"), done::encode);
    assertEquals(Fixture.sha256(file), Fixture.sha256(Path.of(done.getJsonObject("file").getString("path"))));
    assertEquals(1, done.getInteger("resumes"), done::encode);
    assertTrue(frames.get() < 150 + fx.config.chunkWindow(), "what was verified before the restart was not sent again: "
      + frames.get() + " frames for 150 chunks");
    assertEquals(List.of(Path.of(done.getJsonObject("file").getString("path"))), fx.downloadDirContents(),
      "one published file, no part files");
  }

  @Test
  void a_chunk_corrupted_on_disk_while_the_server_was_down_is_caught_and_fetched_again() throws Exception {
    Path file = fx.randomFile("big.bin", 150L * Fixture.CHUNK);
    AtomicInteger frames = new AtomicInteger();
    String id = startSlowPull(file, frames);

    restart(c -> { }, () -> {
      flipByte(fx.downloads.resolve("." + id + ".part"), 3L * Fixture.CHUNK + 99);
      frames.set(0);
    });
    JsonObject done = api.awaitDone(id);

    assertEquals("completed", done.getString("status"), done::encode);
    assertEquals(Fixture.sha256(file), Fixture.sha256(Path.of(done.getJsonObject("file").getString("path"))));
    assertTrue(frames.get() >= 150 - 3, "everything from the corrupted chunk 3 on was fetched again: " + frames.get());
  }

  /** Starts a pull of {@code file} from a slow agent (10 ms a chunk, counted in {@code frames}) and lets 40 chunks go. */
  private String startSlowPull(Path file, AtomicInteger frames) throws InterruptedException {
    fx.agent("slow-1", file, c -> new LifecycleTest.SlowAgent(c, frames));
    String id = api.startPull("slow-1");
    LifecycleTest.awaitFrames(frames, 40);
    return id;
  }

  private static void flipByte(Path file, long position) {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer one = ByteBuffer.allocate(1);
      channel.read(one, position);
      channel.write(one.put(0, (byte) ~one.get(0)).clear(), position);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void a_webhook_is_signed_retried_after_a_500_and_its_delivery_shows_on_the_job() throws Exception {
    List<HttpServerRequest> seen = new CopyOnWriteArrayList<>();
    List<String> bodies = new CopyOnWriteArrayList<>();
    HttpServer receiver = fx.vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
      seen.add(req);
      bodies.add(b.toString());
      boolean valid = signature(req.getHeader("webhook-id"), req.getHeader("webhook-timestamp"), b.toString())
        .equals(req.getHeader("webhook-signature"));
      req.response().setStatusCode(!valid ? 400 : seen.size() == 1 ? 500 : 204).end();
    })).listen(0, "127.0.0.1").await();
    fx.agent("shop-1", fx.randomFile("f.bin", 1000));

    String callback = "http://127.0.0.1:" + receiver.actualPort() + "/hooks/silentmode";
    String id = api.post("createDownload", "/api/v1/downloads",
      new JsonObject().put("clientId", "shop-1").put("callbackUrl", callback), 202).getString("requestId");
    api.awaitDone(id);

    long deadline = System.currentTimeMillis() + 10_000;
    JsonObject job;
    do {
      Thread.sleep(20);
      job = api.get("getDownload", "/api/v1/downloads/" + id, 200);
    } while (!"delivered".equals(job.getJsonObject("webhook").getString("status")) && System.currentTimeMillis() < deadline);
    assertEquals("delivered", job.getJsonObject("webhook").getString("status"), job::encode);
    assertEquals(2, job.getJsonObject("webhook").getInteger("attempts"));
    assertEquals(2, seen.size(), "one failure, one success");
    assertEquals(seen.get(0).getHeader("webhook-id"), seen.get(1).getHeader("webhook-id"));
    JsonObject payload = new JsonObject(bodies.get(1));
    assertEquals("download.completed", payload.getString("type"));
    assertEquals(id, payload.getJsonObject("data").getString("requestId"));
  }

  @Test
  void a_webhook_still_retrying_when_the_server_stops_is_delivered_after_the_restart() throws Exception {
    AtomicInteger requests = new AtomicInteger();
    AtomicInteger answer = new AtomicInteger(500);
    HttpServer receiver = fx.vertx.createHttpServer().requestHandler(req -> {
      requests.incrementAndGet();
      req.response().setStatusCode(answer.get()).end();
    }).listen(0, "127.0.0.1").await();
    fx.server.stop().await();
    fx.with(c -> c.setWebhookRetryDelay(60_000)).start();
    api = fx.api();
    fx.agent("shop-1", fx.randomFile("f.bin", 1000));
    String id = api.post("createDownload", "/api/v1/downloads", new JsonObject().put("clientId", "shop-1")
      .put("callbackUrl", "http://127.0.0.1:" + receiver.actualPort() + "/hook"), 202).getString("requestId");
    awaitWebhook(id, "retrying");

    answer.set(204);
    fx.with(c -> c.setWebhookRetryDelay(20));
    restart();

    JsonObject job = awaitWebhook(id, "delivered");
    assertEquals(2, job.getJsonObject("webhook").getInteger("attempts"), job::encode);
    assertEquals(2, requests.get());
  }

  private JsonObject awaitWebhook(String id, String status) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 30_000; // a bound for a loaded machine, not an expected time
    while (true) {
      JsonObject job = api.get("getDownload", "/api/v1/downloads/" + id, 200);
      JsonObject webhook = job.getJsonObject("webhook");
      if (webhook != null && status.equals(webhook.getString("status"))) {
        return job;
      }
      assertTrue(System.currentTimeMillis() < deadline, "webhook never " + status + ": " + job.encode());
      Thread.sleep(20);
    }
  }

  @Test
  void metrics_count_pulls_and_agents_but_not_the_scrapes() throws Exception {
    Vertx metered = Metrics.vertxBuilder("test-node").build();
    try {
      Files.createDirectories(dir.resolve("metered"));
      Fixture m = new Fixture(metered, dir.resolve("metered")).start();
      Api mapi = m.api();
      m.agent("shop-1", m.randomFile("f.bin", 2L * Fixture.CHUNK));
      mapi.pull("shop-1");

      String first = scrape(mapi);
      String second = scrape(mapi);
      assertTrue(second.contains("silentmode_pulls_total{node=\"test-node\",outcome=\"completed\"} 1.0"), second);
      assertTrue(second.contains("silentmode_agents_connected{node=\"test-node\"} 1.0"), second);
      assertTrue(second.contains("silentmode_pulled_bytes_total{node=\"test-node\"} " + (2.0 * Fixture.CHUNK)), second);
      assertTrue(second.contains("silentmode_pull_duration_seconds_count{node=\"test-node\",outcome=\"completed\"} 1"), second);
      assertTrue(requestLines(second).stream().anyMatch(l -> l.contains("code=\"202\"") && l.contains("downloads")),
        () -> "API requests are counted by route: " + requestLines(second));
      assertFalse(second.contains("/metrics"), "scrapes are not counted");
      assertEquals(requestLines(first), requestLines(second), "a scrape changes no request counter");
    } finally {
      metered.close().await();
    }
  }

  private static String scrape(Api api) {
    HttpResponse<Buffer> r = api.web.get("/metrics").send().await();
    assertEquals(200, r.statusCode());
    return r.bodyAsString();
  }

  private static List<String> requestLines(String scrape) {
    return scrape.lines().filter(l -> l.startsWith("vertx_http_server_requests_total")).toList();
  }

  /** A new server on the same ports and directories, so agents find it again by themselves. */
  private void restart() {
    restart(c -> { }, () -> { });
  }

  /** As {@link #restart()}, with {@code whileStopped} run between the two servers and the new one's settings changed. */
  private void restart(Consumer<ServerConfig> change, Runnable whileStopped) {
    int wsPort = fx.server.wsPort();
    int apiPort = fx.server.apiPort();
    fx.server.stop().await();
    fx.expectReconnect("shop-1");
    fx.expectReconnect("slow-1");
    whileStopped.run();
    fx.with(c -> change.accept(c.setWsPort(wsPort).setPort(apiPort))).start();
    api = fx.api();
  }

  /** Standard Webhooks, computed here independently: v1,base64(HMAC-SHA256(key, id.timestamp.body)). */
  private static String signature(String id, String timestamp, String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(WEBHOOK_KEY, "HmacSHA256"));
      return "v1," + Base64.getEncoder().encodeToString(mac.doFinal((id + "." + timestamp + "." + body).getBytes(StandardCharsets.UTF_8)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
