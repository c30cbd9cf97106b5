package io.silentmode;

import io.silentmode.server.Addresses;
import io.silentmode.server.ServerConfig;
import io.silentmode.server.webhook.WebhookVerticle;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The webhook sender against a real HTTP receiver on loopback that checks signatures with its own code. */
@ExtendWith(VertxExtension.class)
class WebhookTest {

  static final int MAX_ATTEMPTS = 4;
  static final long RETRY_DELAY = 20;
  /** An answer the receiver never sends: it leaves the request hanging. */
  static final int NO_ANSWER = 0;
  /** The end of a callback path the receiver never answers nor counts. */
  static final String HANGING = "/hanging";

  Vertx vertx;
  String secret;
  String callbackUrl;
  /** Status codes the receiver answers, request after request; the last one repeats. */
  volatile List<Integer> answers = List.of(200);
  final AtomicInteger requests = new AtomicInteger();
  final List<Received> received = new CopyOnWriteArrayList<>();
  final List<JsonObject> events = new CopyOnWriteArrayList<>();
  /** By requestId: the first webhooks.events event that ends a delivery. */
  final Map<String, Promise<JsonObject>> ended = new ConcurrentHashMap<>();

  record Received(MultiMap headers, Buffer body) {
    JsonObject json() {
      return body.toJsonObject();
    }
  }

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    secret = "whsec_" + Base64.getEncoder().encodeToString(key);
    ServerConfig config = ServerConfig.defaults().setWebhookSecret(secret).setWebhookRetryDelay(RETRY_DELAY)
      .setWebhookMaxAttempts(MAX_ATTEMPTS).setWebhookTimeout(2000)
      .setAllowPrivateCallbacks(true); // the receiver is on loopback

    vertx.eventBus().<JsonObject>consumer(Addresses.WEBHOOKS_EVENTS, m -> {
      events.add(m.body());
      if (!"retrying".equals(m.body().getString("outcome"))) {
        endOf(m.body().getString("requestId")).tryComplete(m.body());
      }
    }).completion().await();
    vertx.deployVerticle(new WebhookVerticle(config)).await();
    int port = vertx.createHttpServer().requestHandler(this::receive).listen(0, "127.0.0.1").await().actualPort();
    callbackUrl = "http://127.0.0.1:" + port + "/hooks/silentmode";
  }

  @Test
  void a_final_event_is_delivered_once_with_a_valid_signature() throws Exception {
    String id = publishFinal("completed", callbackUrl);

    JsonObject end = ended(id);
    assertEquals("delivered", end.getString("outcome"));
    assertEquals(1, end.getInteger("attempt"));
    assertEquals(200, end.getInteger("statusCode"));
    assertNull(end.getString("error"));
    assertNotNull(Instant.parse(end.getString("at")));
    assertEquals(1, received.size());

    Received r = received.get(0);
    assertTrue(verify(secret, r), "signature verifies with the receiver's own HMAC");
    assertFalse(verify("whsec_" + Base64.getEncoder().encodeToString(new byte[32]), r), "another key does not verify");
    assertTrue(r.headers().get("webhook-id").startsWith("msg_"));
    assertTrue(Math.abs(Instant.now().getEpochSecond() - Long.parseLong(r.headers().get("webhook-timestamp"))) <= 5);
    assertEquals("application/json", r.headers().get(HttpHeaders.CONTENT_TYPE));
    assertEquals("silentmode-webhook", r.headers().get(HttpHeaders.USER_AGENT));

    JsonObject payload = r.json();
    assertEquals("download.completed", payload.getString("type"));
    assertNotNull(Instant.parse(payload.getString("timestamp")));
    JsonObject data = payload.getJsonObject("data");
    assertEquals(id, data.getString("requestId"));
    assertEquals("agent-1", data.getString("clientId"));
    assertEquals(callbackUrl, data.getString("callbackUrl"));
    assertFalse(data.containsKey("event"));
    assertFalse(data.containsKey("seq"));
  }

  @Test
  void a_500_is_retried_with_the_same_webhook_id() throws Exception {
    answers = List.of(500, 200);
    String id = publishFinal("failed", callbackUrl);

    assertEquals("delivered", ended(id).getString("outcome"));
    assertEquals(2, received.size());
    assertEquals(received.get(0).headers().get("webhook-id"), received.get(1).headers().get("webhook-id"));
    assertEquals(received.get(0).body(), received.get(1).body(), "a retry resends the same payload");
    assertTrue(verify(secret, received.get(1)));
    assertEquals("download.failed", received.get(1).json().getString("type"));

    List<JsonObject> mine = eventsOf(id);
    assertEquals(List.of("retrying", "delivered"), mine.stream().map(e -> e.getString("outcome")).toList());
    JsonObject retrying = mine.get(0);
    assertEquals(1, retrying.getInteger("attempt"));
    assertEquals(500, retrying.getInteger("statusCode"));
    assertNotNull(retrying.getString("error"));
    assertTrue(Instant.parse(retrying.getString("nextAttemptAt")).isAfter(Instant.parse(retrying.getString("at")).minusMillis(1)));
    assertEquals(2, mine.get(1).getInteger("attempt"));
  }

  @Test
  void a_410_stops_at_once() throws Exception {
    answers = List.of(410);
    String id = publishFinal("cancelled", callbackUrl);

    JsonObject end = ended(id);
    awaitLaterThanAnyRetry();
    assertEquals("gone", end.getString("outcome"));
    assertEquals(410, end.getInteger("statusCode"));
    assertNull(end.getString("nextAttemptAt"));
    assertEquals(1, received.size());
    assertEquals(1, eventsOf(id).size());
  }

  @Test
  void a_receiver_that_always_fails_gets_max_attempts_then_failed() throws Exception {
    answers = List.of(500);
    String id = publishFinal("completed", callbackUrl);

    JsonObject end = ended(id);
    awaitLaterThanAnyRetry();
    assertEquals("failed", end.getString("outcome"));
    assertEquals(MAX_ATTEMPTS, end.getInteger("attempt"));
    assertEquals(MAX_ATTEMPTS, received.size());
    List<JsonObject> mine = eventsOf(id);
    assertEquals(List.of("retrying", "retrying", "retrying", "failed"), mine.stream().map(e -> e.getString("outcome")).toList());
    assertEquals(List.of(1, 2, 3, 4), mine.stream().map(e -> e.getInteger("attempt")).toList());
    assertEquals(1, received.stream().map(r -> r.headers().get("webhook-id")).distinct().count());
  }

  @Test
  void a_timeout_is_retried_and_reported_without_status() throws Exception {
    answers = List.of(NO_ANSWER, 200);
    String id = publishFinal("completed", callbackUrl);

    assertEquals("delivered", ended(id).getString("outcome"));
    JsonObject retrying = eventsOf(id).get(0);
    assertEquals("retrying", retrying.getString("outcome"));
    assertFalse(retrying.containsKey("statusCode"));
    assertTrue(retrying.getString("error").contains("timeout"), retrying.getString("error"));
    assertEquals(2, received.size());
  }

  @Test
  void progress_events_and_finals_without_callback_send_nothing() throws Exception {
    String progress = UUID.randomUUID().toString();
    vertx.eventBus().publish(Addresses.DOWNLOADS_EVENTS, job(progress, "running", callbackUrl).put("event", "progress"));
    String noUrl = publishFinal("completed", null);
    String blankUrl = publishFinal("completed", " ");
    // Published last on the same address, so the verticle handles it after the others.
    String marker = publishFinal("completed", callbackUrl);

    assertEquals("delivered", ended(marker).getString("outcome"));
    awaitLaterThanAnyRetry();
    assertEquals(1, received.size());
    assertEquals(marker, received.get(0).json().getJsonObject("data").getString("requestId"));
    for (String id : List.of(progress, noUrl, blankUrl)) {
      assertTrue(eventsOf(id).isEmpty(), id);
    }
  }

  @Test
  void each_pause_is_delivered_as_download_paused_with_its_own_id_and_leaves_the_final_webhook_alone() throws Exception {
    String id = UUID.randomUUID().toString();
    publish(job(id, "paused", callbackUrl).put("event", "state").put("seq", 5L).put("pausedReason", "AGENT_DISCONNECTED"));
    publish(job(id, "in_progress", callbackUrl).put("event", "state").put("seq", 6L));
    publish(job(id, "paused", callbackUrl).put("event", "state").put("seq", 9L).put("pausedReason", "OPERATOR"));
    publish(job(id, "completed", callbackUrl).put("event", "final").put("seq", 12L));

    JsonObject end = ended(id);
    awaitLaterThanAnyRetry();
    assertEquals("delivered", end.getString("outcome"));
    assertEquals(1, eventsOf(id).size(), "only the final webhook is reported, as the job's webhook field shows it");
    assertEquals(3, received.size(), "a state event that is not a pause sends nothing");
    Map<String, JsonObject> byId = new ConcurrentHashMap<>();
    for (Received r : received) {
      assertTrue(verify(secret, r), "a pause is signed like the final webhook");
      byId.put(r.headers().get("webhook-id"), r.json());
    }
    JsonObject first = byId.get("msg_" + id + "_paused_5");
    JsonObject second = byId.get("msg_" + id + "_paused_9");
    assertNotNull(first, byId::toString);
    assertNotNull(second, byId::toString);
    assertEquals("download.paused", first.getString("type"));
    assertEquals("AGENT_DISCONNECTED", first.getJsonObject("data").getString("pausedReason"));
    assertEquals("OPERATOR", second.getJsonObject("data").getString("pausedReason"));
    assertFalse(first.getJsonObject("data").containsKey("seq"));
    assertEquals("download.completed", byId.get("msg_" + id).getString("type"));
  }

  @Test
  void a_pause_webhook_is_retried_with_the_same_id_and_body() throws Exception {
    answers = List.of(500, 503, 200);
    String id = UUID.randomUUID().toString();
    publish(job(id, "paused", callbackUrl).put("event", "state").put("pausedReason", "OPERATOR"));

    awaitReceived(3);
    awaitLaterThanAnyRetry();
    assertEquals(3, received.size(), "delivered at the third attempt, then no more");
    assertEquals(1, received.stream().map(r -> r.headers().get("webhook-id")).distinct().count());
    assertEquals(1, received.stream().map(Received::body).distinct().count());
    assertEquals("msg_" + id + "_paused_42", received.get(0).headers().get("webhook-id"));
    assertTrue(eventsOf(id).isEmpty(), "a pause's attempts are not reported: " + eventsOf(id));
  }

  /** Waits until the receiver has had {@code n} requests, bounded. */
  private void awaitReceived(int n) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 10_000;
    while (received.size() < n) {
      assertTrue(System.currentTimeMillis() < deadline, "the receiver had " + received.size() + " requests, not " + n);
      Thread.sleep(10);
    }
  }

  /**
   * Returns once a delivery published now has timed out (WEBHOOK_TIMEOUT, 2 s), on the sender's event loop: every
   * retry an earlier delivery could have scheduled (at most 1.2 x 8 retry delays, 192 ms) fired before that, in
   * deadline order, and its request reached the receiver. What the receiver has not seen by then was never sent.
   */
  private void awaitLaterThanAnyRetry() throws Exception {
    String marker = UUID.randomUUID().toString();
    Promise<Void> timedOut = Promise.promise();
    vertx.eventBus().<JsonObject>consumer(Addresses.WEBHOOKS_EVENTS, m -> {
      if (marker.equals(m.body().getString("requestId"))) {
        timedOut.tryComplete();
      }
    }).completion().await();
    vertx.eventBus().publish(Addresses.DOWNLOADS_EVENTS, job(marker, "completed", callbackUrl + HANGING).put("event", "final"));
    timedOut.future().await(10, TimeUnit.SECONDS);
  }

  private void receive(HttpServerRequest request) {
    if (request.path().endsWith(HANGING)) {
      return; // the marker of awaitLaterThanAnyRetry: left without an answer, and not counted
    }
    request.body().onSuccess(body -> {
      int n = requests.getAndIncrement();
      received.add(new Received(HttpHeaders.headers().addAll(request.headers()), body));
      int status = answers.get(Math.min(n, answers.size() - 1));
      if (status != NO_ANSWER) {
        request.response().setStatusCode(status).end();
      }
    });
  }

  /** Standard Webhooks verification as a receiver writes it, independent of the sender's code. */
  private static boolean verify(String secret, Received r) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
    String content = r.headers().get("webhook-id") + "." + r.headers().get("webhook-timestamp") + "."
      + r.body().toString(StandardCharsets.UTF_8);
    byte[] expected = mac.doFinal(content.getBytes(StandardCharsets.UTF_8));
    for (String signature : r.headers().get("webhook-signature").split(" ")) {
      if (signature.startsWith("v1,") && MessageDigest.isEqual(expected, Base64.getDecoder().decode(signature.substring(3)))) {
        return true;
      }
    }
    return false;
  }

  private String publishFinal(String status, String url) {
    String id = UUID.randomUUID().toString();
    publish(job(id, status, url).put("event", "final"));
    return id;
  }

  private void publish(JsonObject event) {
    vertx.eventBus().publish(Addresses.DOWNLOADS_EVENTS, event);
  }

  private static JsonObject job(String requestId, String status, String callbackUrl) {
    return new JsonObject().put("requestId", requestId).put("clientId", "agent-1").put("path", "/srv/data.bin")
      .put("status", status).put("callbackUrl", callbackUrl).put("seq", 42L);
  }

  private JsonObject ended(String requestId) throws Exception {
    return endOf(requestId).future().await(10, TimeUnit.SECONDS);
  }

  private Promise<JsonObject> endOf(String requestId) {
    return ended.computeIfAbsent(requestId, k -> Promise.promise());
  }

  private List<JsonObject> eventsOf(String requestId) {
    return events.stream().filter(e -> requestId.equals(e.getString("requestId"))).toList();
  }
}
