package io.silentmode;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.silentmode.Api.problem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Operator pause and resume through the REST API, against a real server and a slow real agent: the answers (checked
 * against openapi.yaml), the job's event stream through the pause, and the pause's webhook before the final one.
 */
@ExtendWith(VertxExtension.class)
class PauseTest {

  private static final String UNKNOWN = "/api/v1/downloads/00000000-0000-4000-8000-000000000000";

  @TempDir
  Path dir;
  Fixture fx;
  Api api;

  @BeforeEach
  void setUp(Vertx vertx) {
    fx = new Fixture(vertx, dir).with(c -> c.setAllowPrivateCallbacks(true).setWebhookRetryDelay(20)).start();
    api = fx.api();
  }

  @Test
  void pause_and_resume_of_an_unknown_job_are_404_and_take_no_body() {
    problem(api.call("pauseDownload", HttpMethod.POST, UNKNOWN + "/pause", null), 404, "DOWNLOAD_NOT_FOUND");
    problem(api.call("resumeDownload", HttpMethod.POST, UNKNOWN + "/resume", null), 404, "DOWNLOAD_NOT_FOUND");
    problem(api.call("pauseDownload", HttpMethod.POST, UNKNOWN + "/pause", new JsonObject()), 400, "VALIDATION_FAILED");
    problem(api.call("resumeDownload", HttpMethod.POST, "/api/v1/downloads/not-a-uuid/resume", null), 400, "VALIDATION_FAILED");
  }

  @Test
  void an_operator_pause_holds_the_job_until_resume_then_it_completes_with_the_same_bytes() throws Exception {
    Path file = slowAgent("slow-1");
    String path = "/api/v1/downloads/" + api.startPull("slow-1");
    awaitChunks(path);

    JsonObject paused = api.post("pauseDownload", path + "/pause", null, 200);
    assertEquals("paused", paused.getString("status"), paused::encode);
    assertEquals("OPERATOR", paused.getString("pausedReason"));
    assertTrue(Instant.parse(paused.getString("pausedUntil")).isAfter(Instant.now()), paused::encode);
    JsonObject again = api.post("pauseDownload", path + "/pause", null, 200);
    assertEquals("paused", again.getString("status"), "pausing a paused job answers it unchanged");
    assertEquals(paused.getString("pausedUntil"), again.getString("pausedUntil"));
    assertEquals("paused", api.get("getDownload", path, 200).getString("status"));
    JsonArray listed = api.get("listDownloads", "/api/v1/downloads?status=paused", 200).getJsonArray("items");
    assertEquals(1, listed.size(), listed::encode);

    JsonObject resumed = api.post("resumeDownload", path + "/resume", null, 200);
    assertEquals("in_progress", resumed.getString("status"), "the agent is connected and idle: " + resumed.encode());
    assertNull(resumed.getString("pausedReason"));
    assertNull(resumed.getString("pausedUntil"));

    JsonObject done = api.awaitDone(resumed.getString("requestId"));
    assertEquals("completed", done.getString("status"), done::encode);
    assertEquals(Fixture.sha256(file), done.getJsonObject("file").getString("sha256"));
    assertEquals(1, done.getInteger("resumes"));
    assertTrue(done.getLong("bytesReceived") >= done.getLong("size"), done::encode);
    assertEquals(Math.max(0, done.getLong("bytesReceived") - done.getLong("bytesDone")), done.getLong("bytesResent"));

    problem(api.call("resumeDownload", HttpMethod.POST, path + "/resume", null), 409, "DOWNLOAD_NOT_PAUSED");
    problem(api.call("pauseDownload", HttpMethod.POST, path + "/pause", null), 409, "DOWNLOAD_NOT_ACTIVE");
  }

  @Test
  void a_paused_job_keeps_its_stream_open_and_gets_a_pause_webhook_before_the_final_one() throws Exception {
    List<JsonObject> hooks = new CopyOnWriteArrayList<>();
    Promise<Void> pauseHook = Promise.promise();
    Promise<Void> finalHook = Promise.promise();
    int port = fx.vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> {
      JsonObject hook = body.toJsonObject().put("id", request.getHeader("webhook-id"));
      hooks.add(hook);
      request.response().end();
      (hook.getString("type").equals("download.paused") ? pauseHook : finalHook).tryComplete();
    })).listen(0, "127.0.0.1").await().actualPort();
    slowAgent("slow-1");
    String id = api.post("createDownload", "/api/v1/downloads", new JsonObject().put("clientId", "slow-1")
      .put("callbackUrl", "http://127.0.0.1:" + port + "/hook"), 202).getString("requestId");
    String path = "/api/v1/downloads/" + id;
    awaitChunks(path);

    api.post("pauseDownload", path + "/pause", null, 200);
    pauseHook.future().await(10, TimeUnit.SECONDS);
    JsonObject pause = hooks.get(0);
    assertTrue(pause.getString("id").startsWith("msg_" + id + "_paused_"), pause::encode);
    assertEquals("OPERATOR", pause.getJsonObject("data").getString("pausedReason"));
    assertNull(api.get("getDownload", path, 200).getValue("webhook"), "the job's webhook is the final one's, not begun yet");

    StringBuilder stream = new StringBuilder();
    Promise<Void> opened = Promise.promise();
    Promise<Void> ended = Promise.promise();
    fx.vertx.createHttpClient().request(HttpMethod.GET, fx.server.apiPort(), "127.0.0.1", path + "/events")
      .compose(r -> r.putHeader("Authorization", fx.authorization()).send())
      .onSuccess(response -> {
        response.handler((Buffer chunk) -> {
          synchronized (stream) {
            stream.append(chunk);
            if (stream.indexOf("data: ") >= 0) {
              opened.tryComplete();
            }
          }
        });
        response.endHandler(v -> ended.tryComplete());
      })
      .onFailure(opened::tryFail);
    opened.future().await(10, TimeUnit.SECONDS);
    synchronized (stream) {
      assertTrue(stream.indexOf("event: state\n") >= 0 && stream.indexOf("\"status\":\"paused\"") >= 0, stream::toString);
      assertTrue(stream.indexOf("event: final") < 0, "a paused job has not ended: " + stream);
    }

    api.post("resumeDownload", path + "/resume", null, 200);
    ended.future().await(30, TimeUnit.SECONDS);
    synchronized (stream) {
      assertTrue(stream.indexOf("event: final\n") >= 0 && stream.indexOf("\"status\":\"completed\"") >= 0, stream::toString);
    }
    finalHook.future().await(10, TimeUnit.SECONDS);
    JsonObject last = hooks.get(hooks.size() - 1);
    assertEquals("download.completed", last.getString("type"));
    assertEquals("msg_" + id, last.getString("id"));
    assertFalse(hooks.subList(1, hooks.size() - 1).stream().anyMatch(h -> h.getString("type").equals("download.completed")));
    awaitWebhookDelivered(path);
  }

  /** An agent serving 200 chunks at about 10 ms each: a pull that runs long enough to pause. */
  private Path slowAgent(String clientId) throws Exception {
    Path file = fx.randomFile(clientId + ".bin", 200L * Fixture.CHUNK);
    fx.agent(clientId, file, c -> new LifecycleTest.SlowAgent(c, new AtomicInteger()));
    return file;
  }

  /** Waits until the job has verified some chunks, so that a pause has something to keep. */
  private void awaitChunks(String path) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 10_000;
    while (api.get("getDownload", path, 200).getInteger("chunksDone") == 0) {
      assertTrue(System.currentTimeMillis() < deadline, "no chunk verified in 10 s");
      Thread.sleep(20);
    }
  }

  /** The job's webhook field says delivered once the orchestrator has the sender's report. */
  private void awaitWebhookDelivered(String path) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 10_000;
    while (true) {
      JsonObject webhook = api.get("getDownload", path, 200).getJsonObject("webhook");
      if (webhook != null && "delivered".equals(webhook.getString("status"))) {
        assertEquals(1, webhook.getInteger("attempts"), webhook::encode);
        return;
      }
      assertTrue(System.currentTimeMillis() < deadline, "webhook not delivered: " + webhook);
      Thread.sleep(20);
    }
  }
}
