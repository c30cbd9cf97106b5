package io.silentmode;

import io.micrometer.core.instrument.MeterRegistry;
import io.silentmode.PromText.Sample;
import io.silentmode.server.Addresses;
import io.silentmode.server.ServerConfig;
import io.silentmode.server.metrics.Metrics;
import io.silentmode.server.metrics.MetricsVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static io.silentmode.PromText.parse;
import static io.silentmode.PromText.select;
import static io.silentmode.PromText.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The server's Prometheus endpoint: silentmode's meters follow bus events; Vert.x HTTP metrics leave scrapes out. */
class MetricsTest {

  Vertx vertx;
  HttpServer server;
  WebClient client;

  @BeforeEach
  void setUp() {
    vertx = Metrics.vertxBuilder("test-node").build();
    vertx.deployVerticle(new MetricsVerticle(ServerConfig.defaults())).await();
    Router router = Router.router(vertx);
    router.get(Metrics.PATH).handler(Metrics.scrapeHandler(vertx));
    router.get("/hello").handler(rc -> rc.response().end("hello"));
    server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await();
    client = WebClient.create(vertx);
  }

  @AfterEach
  void tearDown() {
    vertx.close().await();
  }

  @Test
  void connected_agents_follow_connect_replace_and_disconnect() {
    registryEvent("connected", "a", "c1");
    awaitValue(1, "silentmode_agents_connected");
    registryEvent("connected", "b", "c2");
    awaitValue(2, "silentmode_agents_connected");
    // a connects again; the old connection's disconnect comes after the new connect and must not remove a.
    // The last event connects z, so reaching 3 means every earlier event was handled.
    registryEvent("connected", "a", "c3");
    registryEvent("disconnected", "a", "c1");
    registryEvent("connected", "z", "c5");
    awaitValue(3, "silentmode_agents_connected");
    // b's old connection is gone before b connects again; a repeated stale disconnect must not remove b
    registryEvent("disconnected", "b", "c2");
    registryEvent("connected", "b", "c4");
    registryEvent("disconnected", "b", "c2");
    registryEvent("connected", "y", "c6");
    awaitValue(4, "silentmode_agents_connected");
    registryEvent("disconnected", "a", "c3");
    awaitValue(3, "silentmode_agents_connected");
  }

  @Test
  void finished_pulls_are_counted_by_outcome_with_bytes_retries_resumes_and_duration() {
    Instant t0 = Instant.parse("2025-01-01T00:00:00Z");
    downloadEvent("state", job("r2", "queued", t0, null, null));
    awaitValue(1, "silentmode_pulls_queued");
    downloadEvent("state", job("r1", "in_progress", t0.minusSeconds(10), t0, null));
    downloadEvent("state", job("r2", "in_progress", t0, null, null));
    downloadEvent("progress", job("r1", "in_progress", t0.minusSeconds(10), t0, null).put("bytesDone", 4096));
    downloadEvent("state", job("r3", "in_progress", t0, null, null));
    awaitValue(3, "silentmode_pulls_active");
    awaitValue(0, "silentmode_pulls_queued");
    downloadEvent("state", job("r1", "paused", t0.minusSeconds(10), t0, null));
    awaitValue(1, "silentmode_pulls_paused");
    awaitValue(2, "silentmode_pulls_active");
    downloadEvent("state", job("r1", "in_progress", t0.minusSeconds(10), t0, null));
    awaitValue(0, "silentmode_pulls_paused");
    awaitValue(3, "silentmode_pulls_active");
    // a state change out of in_progress ends the pull's activity before its final event
    downloadEvent("state", job("r3", "cancelled", t0, null, t0.plusMillis(250)));
    awaitValue(2, "silentmode_pulls_active");

    // startedAt wins over createdAt: 2.5 s, not 12.5 s
    downloadEvent("final", job("r1", "completed", t0.minusSeconds(10), t0, t0.plusMillis(2500))
      .put("bytesDone", 1_048_576L).put("retries", 2).put("resumes", 1).put("bytesReceived", 1_114_112L)
      .put("bytesResent", 65_536L));
    // no startedAt: from createdAt, 0.5 s
    downloadEvent("final", job("r2", "failed", t0, null, t0.plusMillis(500)).put("bytesDone", 1000L).put("retries", 3));
    downloadEvent("final", job("r3", "cancelled", t0, null, t0.plusMillis(250)));
    awaitValue(0, "silentmode_pulls_active");
    List<Sample> s = awaitValue(1, "silentmode_pulls_total", "outcome", "cancelled");

    assertEquals(1, value(s, "silentmode_pulls_total", "outcome", "completed"));
    assertEquals(1, value(s, "silentmode_pulls_total", "outcome", "failed"));
    assertEquals(1_049_576, value(s, "silentmode_pulled_bytes_total"));
    assertEquals(5, value(s, "silentmode_chunk_retries_total"));
    assertEquals(1, value(s, "silentmode_pull_resumes_total"));
    assertEquals(1_114_112, value(s, "silentmode_received_bytes_total"));
    assertEquals(65_536, value(s, "silentmode_resent_bytes_total"));
    assertEquals(1, value(s, "silentmode_pull_duration_seconds_count", "outcome", "completed"));
    assertEquals(2.5, value(s, "silentmode_pull_duration_seconds_sum", "outcome", "completed"), 1e-9);
    assertEquals(0.5, value(s, "silentmode_pull_duration_seconds_sum", "outcome", "failed"), 1e-9);
    assertEquals(0.25, value(s, "silentmode_pull_duration_seconds_sum", "outcome", "cancelled"), 1e-9);
    assertBuckets(s, "completed", 2.5);
    assertBuckets(s, "failed", 0.5);
  }

  @Test
  void webhook_deliveries_are_counted_by_outcome() {
    for (String outcome : List.of("retrying", "retrying", "delivered", "failed", "retrying", "gone", "delivered", "retrying")) {
      vertx.eventBus().publish(Addresses.WEBHOOKS_EVENTS, new JsonObject().put("requestId", "r1").put("attempt", 1)
        .put("outcome", outcome).put("statusCode", 503).put("at", Instant.now().toString()));
    }
    List<Sample> s = awaitValue(4, "silentmode_webhook_deliveries_total", "outcome", "retrying");
    assertEquals(2, value(s, "silentmode_webhook_deliveries_total", "outcome", "delivered"));
    assertEquals(1, value(s, "silentmode_webhook_deliveries_total", "outcome", "failed"));
    assertEquals(1, value(s, "silentmode_webhook_deliveries_total", "outcome", "gone"));
  }

  @Test
  void http_metrics_count_api_requests_but_not_scrapes() {
    // Scrapes come first too: a scrape's meters, were they registered, would shape the series later requests get.
    assertTrue(select(parse(scrape()), "vertx_http_server_requests_total").isEmpty(), "no request counted yet");
    for (int i = 0; i < 3; i++) {
      assertEquals("hello", get("/hello").bodyAsString());
    }
    List<Sample> before = parse(scrape());
    assertEquals(3, value(before, "vertx_http_server_requests_total", "route", "/hello", "code", "200", "method", "GET"));

    for (int i = 0; i < 5; i++) {
      scrape();
    }
    List<Sample> after = parse(scrape());
    for (String counted : List.of("vertx_http_server_requests_total", "vertx_http_server_response_time_seconds_count",
        "vertx_http_server_response_bytes_count", "vertx_http_server_request_bytes_count")) {
      assertEquals(3, sum(after, counted), counted + " counts only the /hello requests");
    }
    assertFalse(after.stream().anyMatch(x -> x.name().startsWith("vertx_http_server") && x.labels().containsValue(Metrics.PATH)),
      "no HTTP server series of the scrape route");
    // this scrape is in flight while it renders, yet it is not among the active requests
    assertEquals(0, sum(after, "vertx_http_server_active_requests"));
    assertTrue(after.stream().noneMatch(x -> x.labels().containsKey("silentmode_scrape")), "the marker tag never shows");
  }

  @Test
  void each_vertx_has_its_own_registry() {
    Vertx other = Metrics.vertxBuilder("test-node").build();
    try {
      MeterRegistry mine = Metrics.registry(vertx);
      MeterRegistry theirs = Metrics.registry(other);
      assertNotNull(mine);
      assertNotNull(theirs);
      assertNotSame(mine, theirs);
      theirs.counter("only.other").increment();
      assertNull(mine.find("only.other").counter());
      assertTrue(value(parse(scrape()), "jvm_threads_live_threads") > 0, "JVM metrics are bound");
    } finally {
      other.close().await();
    }
  }

  @Test
  void no_scrape_handler_or_registry_without_metrics() {
    Vertx plain = Vertx.vertx();
    try {
      assertNull(Metrics.scrapeHandler(plain));
      assertNull(Metrics.registry(plain));
      // and the verticle deploys there as a no-op
      plain.deployVerticle(new MetricsVerticle(ServerConfig.defaults())).await();
    } finally {
      plain.close().await();
    }
    assertNotNull(Metrics.scrapeHandler(vertx));
  }

  private void registryEvent(String event, String clientId, String connectionId) {
    vertx.eventBus().publish(Addresses.REGISTRY_EVENTS,
      new JsonObject().put("event", event).put("clientId", clientId).put("connectionId", connectionId));
  }

  private void downloadEvent(String event, JsonObject job) {
    vertx.eventBus().publish(Addresses.DOWNLOADS_EVENTS, job.put("event", event));
  }

  private static JsonObject job(String requestId, String status, Instant createdAt, Instant startedAt, Instant finishedAt) {
    return new JsonObject().put("requestId", requestId).put("clientId", "a").put("status", status)
      .put("createdAt", createdAt.toString())
      .put("startedAt", startedAt == null ? null : startedAt.toString())
      .put("finishedAt", finishedAt == null ? null : finishedAt.toString())
      .put("bytesDone", 0L).put("retries", 0);
  }

  /** The outcome's histogram has the chosen buckets, and every bucket holds the one recorded duration iff its bound is at least that duration. */
  private static void assertBuckets(List<Sample> samples, String outcome, double seconds) {
    List<Sample> buckets = select(samples, "silentmode_pull_duration_seconds_bucket", "outcome", outcome);
    assertEquals(List.of("0.1", "0.5", "1.0", "5.0", "10.0", "30.0", "60.0", "120.0", "300.0", "900.0", "3600.0", "+Inf"),
      buckets.stream().map(b -> b.labels().get("le")).toList(), "a handful of buckets from 0.1 s to 1 h, for " + outcome);
    assertTrue(buckets.stream().anyMatch(b -> le(b) < seconds), "a bucket below " + seconds);
    for (Sample b : buckets) {
      assertEquals(le(b) >= seconds ? 1 : 0, b.value(), outcome + " bucket le=" + b.labels().get("le"));
    }
  }

  private static double le(Sample bucket) {
    String le = bucket.labels().get("le");
    return "+Inf".equals(le) ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
  }

  private HttpResponse<Buffer> get(String path) {
    HttpResponse<Buffer> response = client.get(server.actualPort(), "127.0.0.1", path).send().await();
    assertEquals(200, response.statusCode(), path);
    return response;
  }

  private String scrape() {
    return get(Metrics.PATH).bodyAsString();
  }

  /** Scrapes until the series has the expected value (bus events arrive asynchronously); returns the last scrape. */
  private List<Sample> awaitValue(double expected, String name, String... labels) {
    long deadline = System.currentTimeMillis() + 5_000;
    while (true) {
      List<Sample> samples = parse(scrape());
      List<Sample> found = select(samples, name, labels);
      if (found.size() == 1 && found.get(0).value() == expected || System.currentTimeMillis() > deadline) {
        assertEquals(expected, value(samples, name, labels), name + " " + String.join(",", labels));
        return samples;
      }
      vertx.timer(20).await();
    }
  }

  private static double sum(List<Sample> samples, String name) {
    List<Sample> found = select(samples, name);
    assertFalse(found.isEmpty(), "series " + name);
    return found.stream().mapToDouble(Sample::value).sum();
  }
}
