package io.silentmode;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
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
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static io.silentmode.Api.problem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every operation of the REST API against a real server and real agents; answers are checked against openapi.yaml. */
@ExtendWith(VertxExtension.class)
class ApiTest {

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
  void health_and_readiness_answer_and_the_contract_is_served() {
    assertEquals("UP", api.get("getHealth", "/api/v1/health", 200).getString("status"));
    JsonObject ready = api.get("getReadiness", "/api/v1/health/ready", 200);
    assertEquals(Set.of("event-bus", "download-dir", "data-dir"), ids(ready.getJsonArray("checks")));
    HttpResponse<Buffer> contract = api.call("getContract", HttpMethod.GET, "/api/v1/openapi.yaml", null);
    assertEquals(200, contract.statusCode());
    assertTrue(contract.bodyAsString().contains("operationId: createDownload"));
  }

  @Test
  void readiness_is_down_with_the_reason_when_DOWNLOAD_DIR_lacks_space() {
    fx.server.stop().await();
    fx.with(c -> c.setMinFreeSpace(Long.MAX_VALUE)).start();
    api = fx.api();
    JsonObject ready = api.get("getReadiness", "/api/v1/health/ready", 503);
    JsonObject downloadDir = ready.getJsonArray("checks").stream().map(JsonObject.class::cast)
      .filter(c -> "download-dir".equals(c.getString("id"))).findFirst().orElseThrow();
    assertEquals("DOWN", downloadDir.getString("status"));
    assertTrue(downloadDir.getJsonObject("data").getString("error").contains("free space"), downloadDir::encode);
  }

  @Test
  void clients_lists_connected_and_recently_seen_agents() throws Exception {
    fx.agent("shop-1", fx.randomFile("a", 10));
    JsonObject list = api.get("listClients", "/api/v1/clients", 200);
    assertEquals(1, list.getJsonArray("items").size());
    JsonObject shop = api.get("getClient", "/api/v1/clients/shop-1", 200);
    assertEquals(true, shop.getBoolean("connected"));
    assertEquals("0.1.0", shop.getString("agentVersion"));

    problem(api.call("getClient", HttpMethod.GET, "/api/v1/clients/nobody", null), 404, "CLIENT_NOT_FOUND");
    JsonObject invalid = problem(api.call("getClient", HttpMethod.GET, "/api/v1/clients/bad%20id", null), 400, "VALIDATION_FAILED");
    assertTrue(invalid.getString("detail").contains("clientId"), invalid::encode);
  }

  @Test
  void a_pull_is_accepted_with_202_and_its_job_can_be_polled_and_its_file_fetched() throws Exception {
    Path file = fx.randomFile("file_to_download.txt", 5L * Fixture.CHUNK + 3);
    fx.agent("shop-1", file);

    HttpResponse<Buffer> created = api.call("createDownload", HttpMethod.POST, "/api/v1/downloads",
      new JsonObject().put("clientId", "shop-1"));
    JsonObject job = Api.expect(created, 202);
    assertEquals("/api/v1/downloads/" + job.getString("requestId"), created.getHeader("Location"));

    JsonObject done = api.awaitDone(job.getString("requestId"));
    assertEquals("completed", done.getString("status"), done::encode);
    assertEquals(Files.size(file), done.getLong("size"));
    assertEquals(Files.size(file), done.getLong("bytesDone"));
    assertEquals(6, done.getInteger("totalChunks"));
    assertEquals(Fixture.sha256(file), done.getJsonObject("file").getString("sha256"));
    assertEquals("file_to_download.txt", done.getString("fileName"));
    assertTrue(done.getString("finishedAt").compareTo(done.getString("startedAt")) >= 0);
  }

  @Test
  void bad_requests_get_problem_json_naming_the_field() {
    JsonObject missing = problem(api.call("createDownload", HttpMethod.POST, "/api/v1/downloads", new JsonObject()),
      400, "VALIDATION_FAILED");
    assertTrue(fields(missing).contains("clientId"), missing::encode);

    JsonObject extra = problem(api.call("createDownload", HttpMethod.POST, "/api/v1/downloads",
      new JsonObject().put("clientId", "shop-1").put("colour", "red")), 400, "VALIDATION_FAILED");
    assertTrue(fields(extra).contains("colour"), extra::encode);

    JsonObject url = problem(api.call("createDownload", HttpMethod.POST, "/api/v1/downloads",
      new JsonObject().put("clientId", "shop-1").put("callbackUrl", "ftp://example.com/x")), 400, "VALIDATION_FAILED");
    assertTrue(fields(url).contains("callbackUrl"), url::encode);

    problem(api.call("getDownload", HttpMethod.GET, "/api/v1/downloads/not-a-uuid", null), 400, "VALIDATION_FAILED");
    problem(api.call("listDownloads", HttpMethod.GET, "/api/v1/downloads?limit=0", null), 400, "VALIDATION_FAILED");
    problem(api.call("listDownloads", HttpMethod.GET, "/api/v1/downloads?status=lost", null), 400, "VALIDATION_FAILED");
    problem(api.call("listDownloads", HttpMethod.GET, "/api/v1/downloads?cursor=garbage", null), 400, "VALIDATION_FAILED");
  }

  @Test
  void unknown_routes_methods_agents_and_jobs_get_clear_errors() {
    HttpResponse<Buffer> noRoute = api.web.get("/api/v1/nothing-here").send().await();
    assertEquals(404, noRoute.statusCode(), noRoute.bodyAsString());
    assertEquals("NOT_FOUND", noRoute.bodyAsJsonObject().getString("code"));
    HttpResponse<Buffer> wrongMethod = api.web.put("/api/v1/clients").send().await();
    assertEquals(405, wrongMethod.statusCode(), wrongMethod.bodyAsString());
    assertEquals("METHOD_NOT_ALLOWED", wrongMethod.bodyAsJsonObject().getString("code"));

    problem(api.call("createDownload", HttpMethod.POST, "/api/v1/downloads", new JsonObject().put("clientId", "nobody")),
      404, "CLIENT_NOT_FOUND");
    String unknown = "/api/v1/downloads/00000000-0000-4000-8000-000000000000";
    problem(api.call("getDownload", HttpMethod.GET, unknown, null), 404, "DOWNLOAD_NOT_FOUND");
    problem(api.call("cancelDownload", HttpMethod.DELETE, unknown, null), 404, "DOWNLOAD_NOT_FOUND");
    problem(api.call("retryDownload", HttpMethod.POST, unknown + "/retry", null), 404, "DOWNLOAD_NOT_FOUND");
    problem(api.call("getDownloadContent", HttpMethod.GET, unknown + "/content", null), 404, "DOWNLOAD_NOT_FOUND");
    problem(api.call("createDownloadLink", HttpMethod.POST, unknown + "/link", null), 404, "DOWNLOAD_NOT_FOUND");
    problem(api.call("streamDownloadEvents", HttpMethod.GET, unknown + "/events", null), 404, "DOWNLOAD_NOT_FOUND");
  }

  @Test
  void a_pull_carries_its_priority_normal_by_default_and_an_unknown_one_is_a_400() throws Exception {
    fx.agent("shop-1", fx.randomFile("f.bin", 1000));
    JsonObject high = api.post("createDownload", "/api/v1/downloads",
      new JsonObject().put("clientId", "shop-1").put("priority", "high"), 202);
    assertEquals("high", api.awaitDone(high.getString("requestId")).getString("priority"));
    assertEquals("normal", api.pull("shop-1").getString("priority"));
    problem(api.call("createDownload", HttpMethod.POST, "/api/v1/downloads",
      new JsonObject().put("clientId", "shop-1").put("priority", "urgent")), 400, "VALIDATION_FAILED");
  }

  @Test
  void a_pull_for_a_busy_agent_waits_queued_and_cancel_then_retry_make_a_new_job_that_completes() throws Exception {
    AtomicInteger frames = new AtomicInteger();
    Path file = fx.randomFile("big.bin", 200L * Fixture.CHUNK);
    fx.agent("slow-1", file, c -> new LifecycleTest.SlowAgent(c, frames));
    JsonObject first = api.post("createDownload", "/api/v1/downloads", new JsonObject().put("clientId", "slow-1"), 202);
    JsonObject second = api.post("createDownload", "/api/v1/downloads", new JsonObject().put("clientId", "slow-1"), 202);
    assertEquals("queued", second.getString("status"), second::encode);
    assertEquals(1, second.getInteger("queuePosition"));
    assertEquals("AGENT_BUSY", second.getString("queuedReason"));
    api.delete("cancelDownload", "/api/v1/downloads/" + second.getString("requestId"), 200);

    String path = "/api/v1/downloads/" + first.getString("requestId");
    JsonObject cancelled = api.delete("cancelDownload", path, 200);
    assertEquals("cancelled", cancelled.getString("status"));
    problem(api.call("cancelDownload", HttpMethod.DELETE, path, null), 409, "DOWNLOAD_NOT_ACTIVE");
    problem(api.call("getDownloadContent", HttpMethod.GET, path + "/content", null), 409, "DOWNLOAD_NOT_COMPLETED");
    problem(api.call("createDownloadLink", HttpMethod.POST, path + "/link", null), 409, "DOWNLOAD_NOT_COMPLETED");

    HttpResponse<Buffer> retried = api.call("retryDownload", HttpMethod.POST, path + "/retry", null);
    JsonObject retry = Api.expect(retried, 202);
    assertNotEquals(first.getString("requestId"), retry.getString("requestId"));
    assertEquals(first.getString("requestId"), retry.getString("retryOf"));
    assertEquals("/api/v1/downloads/" + retry.getString("requestId"), retried.getHeader("Location"));
    JsonObject done = api.awaitDone(retry.getString("requestId"));
    assertEquals("completed", done.getString("status"), done::encode);
    assertEquals(Fixture.sha256(file), done.getJsonObject("file").getString("sha256"));
    assertEquals("cancelled", api.get("getDownload", path, 200).getString("status"), "the old job stays as it ended");

    problem(api.call("retryDownload", HttpMethod.POST, "/api/v1/downloads/" + retry.getString("requestId") + "/retry", null),
      409, "DOWNLOAD_NOT_RETRYABLE");
  }

  @Test
  void a_pull_for_a_known_offline_agent_is_queued_then_runs_when_it_connects() throws Exception {
    Path file = fx.randomFile("f.bin", 2L * Fixture.CHUNK);
    fx.vertx.undeploy(fx.agent("away-1", file).deploymentID()).await();
    awaitDisconnected("away-1");

    JsonObject queued = api.post("createDownload", "/api/v1/downloads", new JsonObject().put("clientId", "away-1"), 202);
    assertEquals("queued", queued.getString("status"));
    assertTrue(queued.getString("queuedUntil").compareTo(queued.getString("createdAt")) > 0);
    JsonObject waiting = api.get("listDownloads", "/api/v1/downloads?status=queued", 200);
    assertEquals(1, waiting.getJsonArray("items").size());

    fx.agent("away-1", file);
    assertEquals("completed", api.awaitDone(queued.getString("requestId")).getString("status"));
  }

  /**
   * The registry tells the orchestrator an agent is back before it answers the gateway: a queued pull's request can
   * reach the gateway first. It must still go out after the REGISTER_ACK, or the agent's answer finds the connection
   * unregistered. The registry's answer is held back here to make that order certain.
   */
  @Test
  void a_queued_pull_waits_for_the_register_ack_when_the_registry_answers_late() throws Exception {
    Path file = fx.randomFile("f.bin", Fixture.CHUNK + 1);
    fx.vertx.undeploy(fx.agent("late-1", file).deploymentID()).await();
    awaitDisconnected("late-1");
    JsonObject queued = api.post("createDownload", "/api/v1/downloads", new JsonObject().put("clientId", "late-1"), 202);
    assertEquals("queued", queued.getString("status"));
    fx.vertx.eventBus().addInboundInterceptor(delivery -> {
      if (delivery.message().address().startsWith("__vertx.reply") && delivery.body() instanceof JsonObject agent
        && "late-1".equals(agent.getString("clientId")) && agent.containsKey("connectionId")) {
        fx.vertx.setTimer(500, t -> delivery.next());
      } else {
        delivery.next();
      }
    });

    fx.agent("late-1", file);

    assertEquals("completed", api.awaitDone(queued.getString("requestId")).getString("status"));
  }

  @Test
  void the_list_filters_and_pages_newest_first_without_gaps_or_repeats() throws Exception {
    fx.agent("a-1", fx.randomFile("a", 100));
    fx.agent("b-1", fx.randomFile("b", 100));
    Set<String> made = new HashSet<>();
    for (int i = 0; i < 5; i++) {
      String client = i % 2 == 0 ? "a-1" : "b-1";
      JsonObject job = api.post("createDownload", "/api/v1/downloads", new JsonObject().put("clientId", client), 202);
      api.awaitDone(job.getString("requestId"));
      made.add(job.getString("requestId"));
    }
    Set<String> seen = new HashSet<>();
    String previousCreatedAt = "9999";
    String cursor = null;
    int pages = 0;
    do {
      JsonObject page = api.get("listDownloads", "/api/v1/downloads?limit=2" + (cursor == null ? "" : "&cursor=" + cursor), 200);
      for (Object o : page.getJsonArray("items")) {
        JsonObject job = (JsonObject) o;
        assertTrue(seen.add(job.getString("requestId")), "no repeats");
        assertTrue(job.getString("createdAt").compareTo(previousCreatedAt) <= 0, "newest first");
        previousCreatedAt = job.getString("createdAt");
      }
      cursor = page.getString("nextCursor");
      pages++;
    } while (cursor != null);
    assertEquals(made, seen);
    assertEquals(3, pages);

    JsonArray onlyA = api.get("listDownloads", "/api/v1/downloads?clientId=a-1&status=completed", 200).getJsonArray("items");
    assertEquals(3, onlyA.size());
    onlyA.forEach(j -> assertEquals("a-1", ((JsonObject) j).getString("clientId")));
    assertTrue(api.get("listDownloads", "/api/v1/downloads?status=failed", 200).getJsonArray("items").isEmpty());
  }

  private void awaitDisconnected(String clientId) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 5_000;
    while (api.get("getClient", "/api/v1/clients/" + clientId, 200).getBoolean("connected")) {
      assertTrue(System.currentTimeMillis() < deadline, clientId + " still connected");
      Thread.sleep(20);
    }
  }

  private static Set<String> ids(JsonArray checks) {
    Set<String> ids = new HashSet<>();
    checks.forEach(c -> ids.add(((JsonObject) c).getString("id")));
    return ids;
  }

  private static String fields(JsonObject problem) {
    StringBuilder all = new StringBuilder();
    problem.getJsonArray("errors").forEach(e -> all.append(((JsonObject) e).getString("field")).append(' '));
    return all.toString();
  }
}
