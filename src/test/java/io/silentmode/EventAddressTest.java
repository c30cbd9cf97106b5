package io.silentmode;

import io.silentmode.server.Addresses;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each job's events have their own address: open SSE streams cost nothing when another job moves. */
@ExtendWith(VertxExtension.class)
class EventAddressTest {

  private static final int STREAMS = 20;

  @TempDir
  Path dir;
  Fixture fx;
  HttpClient http;

  @BeforeEach
  void setUp(Vertx vertx) {
    fx = new Fixture(vertx, dir);
    http = vertx.createHttpClient(new HttpClientOptions(), new PoolOptions().setHttp1MaxSize(STREAMS));
  }

  @AfterEach
  void close() {
    http.close().await();
  }

  @Test
  void an_event_of_one_job_reaches_no_stream_of_another() throws Exception {
    fx.with(c -> c.setChunkTimeout(60_000)).start();
    // A job that stays in progress: its agent never answers the request.
    RawAgent.register(fx, "watched").on(m -> { });
    String watched = fx.startPull("watched", null).getString("requestId");
    List<StringBuilder> bodies = new ArrayList<>();
    for (int i = 0; i < STREAMS; i++) {
      bodies.add(openStream(watched));
    }
    // Deliveries to handlers, per event: an inbound interceptor runs once for each handler a message reaches.
    Map<String, AtomicInteger> deliveries = new ConcurrentHashMap<>();
    fx.vertx.eventBus().addInboundInterceptor(delivery -> {
      if (delivery.message().body() instanceof JsonObject event && event.containsKey("seq") && event.containsKey("event")) {
        String key = event.getString("requestId") + "#" + event.getLong("seq") + ":" + event.getString("event")
          + "@" + delivery.message().address();
        deliveries.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
      }
      delivery.next();
    });

    fx.agent("other", fx.randomFile("other.bin", 40L * Fixture.CHUNK));
    JsonObject other = fx.pull("other");

    assertEquals("completed", other.getString("status"), other::encode);
    String otherId = other.getString("requestId");
    List<String> otherEvents = deliveries.keySet().stream().filter(k -> k.startsWith(otherId)).toList();
    assertTrue(otherEvents.stream().anyMatch(k -> k.endsWith("@" + Addresses.DOWNLOADS_EVENTS)), deliveries::toString);
    otherEvents.forEach(k -> assertTrue(deliveries.get(k).get() < STREAMS,
      k + " reached " + deliveries.get(k) + " handlers: the " + STREAMS + " streams of another job among them"));
    assertTrue(otherEvents.stream().noneMatch(k -> k.endsWith(":progress@" + Addresses.DOWNLOADS_EVENTS)),
      "progress goes to the job's own address only");
    for (StringBuilder body : bodies) {
      assertTrue(body.indexOf(watched) >= 0, "the stream got its job's state");
      assertTrue(body.indexOf(otherId) < 0, "the stream got another job's event: " + body);
    }
  }

  /** Opens an SSE stream of the job and returns once its first event (the job's state) has arrived. */
  private StringBuilder openStream(String requestId) {
    StringBuilder body = new StringBuilder();
    Promise<Void> first = Promise.promise();
    http.request(HttpMethod.GET, fx.server.apiPort(), "127.0.0.1", "/api/v1/downloads/" + requestId + "/events")
      .compose(request -> request.putHeader("Authorization", fx.authorization()).send())
      .onSuccess(response -> response.handler((Buffer chunk) -> {
        synchronized (body) {
          body.append(chunk.toString());
        }
        first.tryComplete();
      }))
      .onFailure(first::tryFail);
    first.future().timeout(10, TimeUnit.SECONDS).await();
    return body;
  }
}
