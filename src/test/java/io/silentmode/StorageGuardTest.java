package io.silentmode;

import io.silentmode.server.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.silentmode.Api.problem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A full or broken DOWNLOAD_DIR: pulls are refused up front, and no answer tells a client where the server keeps files. */
@ExtendWith(VertxExtension.class)
class StorageGuardTest {

  @TempDir
  Path dir;

  @Test
  void a_pull_is_refused_with_507_while_readiness_reports_DOWNLOAD_DIR_short_of_space(Vertx vertx) throws Exception {
    Fixture fx = new Fixture(vertx, dir).with(c -> c.setMinFreeSpace(Long.MAX_VALUE)).start();
    fx.agent("shop-1", fx.randomFile("f.bin", 1000));
    Api api = fx.api();
    HttpResponse<Buffer> ready = api.call("getReadiness", HttpMethod.GET, "/api/v1/health/ready", null);
    assertEquals(503, ready.statusCode());
    assertNoPath(ready.bodyAsString());

    HttpResponse<Buffer> refused = api.call("createDownload", HttpMethod.POST, "/api/v1/downloads", new JsonObject().put("clientId", "shop-1"));
    JsonObject problem = problem(refused, 507, "INSUFFICIENT_STORAGE");
    assertTrue(problem.getBoolean("retryable"));
    assertTrue(problem.getString("detail").contains("MIN_FREE_SPACE"), problem::encode);
    assertNoPath(refused.bodyAsString());
    assertTrue(fx.downloadDirContents().isEmpty(), "nothing was started");
  }

  @Test
  void storage_failures_and_missing_files_are_explained_without_server_paths(Vertx vertx) throws Exception {
    Fixture fx = new Fixture(vertx, dir).start();
    fx.agent("shop-1", fx.randomFile("f.bin", 1000));
    Api api = fx.api();
    JsonObject done = api.pull("shop-1");
    Files.delete(Path.of(done.getJsonObject("file").getString("path")));
    HttpResponse<Buffer> gone = api.call("getDownloadContent", HttpMethod.GET,
      "/api/v1/downloads/" + done.getString("requestId") + "/content", null);
    assertTrue(problem(gone, 404, "FILE_NOT_FOUND").getString("detail").contains("DOWNLOAD_DIR"));
    assertNoPath(gone.bodyAsString());

    // DOWNLOAD_DIR replaced by a plain file: the next pull cannot create its temp file there.
    Files.walk(fx.downloads).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    Files.writeString(fx.downloads, "not a directory");
    JsonObject failed = api.pull("shop-1");
    assertEquals("failed", failed.getString("status"), failed::encode);
    assertEquals("STORAGE_ERROR", failed.getJsonObject("error").getString("code"));
    assertTrue(failed.getJsonObject("error").getString("message").contains("DOWNLOAD_DIR"), failed::encode);
    assertNoPath(failed.getJsonObject("error").encode());
    HttpResponse<Buffer> ready = api.call("getReadiness", HttpMethod.GET, "/api/v1/health/ready", null);
    assertEquals(503, ready.statusCode());
    assertNoPath(ready.bodyAsString());
  }

  /**
   * Before, the job was announced failed (final event, webhook, the store's path in its error) after the API had
   * answered 500. Its first state event still goes out: events are published as the record is written.
   */
  @Test
  void a_job_the_store_cannot_record_is_refused_and_never_announced(Vertx vertx) throws Exception {
    Fixture fx = new Fixture(vertx, dir).start();
    fx.agent("shop-1", fx.randomFile("f.bin", 1000));
    Path jobs = dir.resolve("data").resolve("jobs");
    Files.walk(jobs).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    Files.writeString(jobs, "not a directory");
    List<JsonObject> announced = new CopyOnWriteArrayList<>();
    // Outbound interceptors run as the orchestrator publishes, so all is seen by the time the API answers.
    vertx.eventBus().addOutboundInterceptor(delivery -> {
      if (Addresses.DOWNLOADS_EVENTS.equals(delivery.message().address())
        && "final".equals(((JsonObject) delivery.message().body()).getString("event"))) {
        announced.add((JsonObject) delivery.message().body());
      }
      delivery.next();
    });
    Api api = fx.api();

    HttpResponse<Buffer> refused = api.call("createDownload", HttpMethod.POST, "/api/v1/downloads",
      new JsonObject().put("clientId", "shop-1").put("callbackUrl", "https://hooks.example.com/x"));

    problem(refused, 500, "STORAGE_ERROR");
    assertNoPath(refused.bodyAsString());
    assertEquals(List.of(), announced.stream().map(JsonObject::encode).toList(), "no final event (which starts the webhook)");
    JsonObject listed = new JsonObject(api.call("listDownloads", HttpMethod.GET, "/api/v1/downloads", null).bodyAsString());
    assertEquals(0, listed.getJsonArray("items").size(), listed::encode);
  }

  private void assertNoPath(String answer) {
    assertFalse(answer.contains(dir.toString()), "a server path in " + answer);
    assertFalse(answer.contains(dir.toAbsolutePath().normalize().toString()), "a server path in " + answer);
  }
}
