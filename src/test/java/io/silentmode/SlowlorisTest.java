package io.silentmode;

import io.silentmode.server.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Connections that never finish their request head are closed on both ports within REQUEST_HEADER_TIMEOUT, while
 * a slow but complete request, an open event stream and an agent's WebSocket live on.
 */
@ExtendWith(VertxExtension.class)
class SlowlorisTest {

  private static final long BOUND = 600;

  @TempDir
  Path dir;

  @Test
  void silent_and_half_sent_connections_are_closed_within_the_bound_on_both_ports(Vertx vertx) {
    Fixture fx = new Fixture(vertx, dir).with(c -> c.setRequestHeaderTimeout(BOUND)).start();
    NetClient net = vertx.createNetClient();
    List<Future<Long>> closes = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      closes.add(closeAfter(net, fx.server.wsPort(), null));
      closes.add(closeAfter(net, fx.server.apiPort(), "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "));
      closes.add(closeAfter(net, fx.server.wsPort(), "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"));
    }
    for (Future<Long> close : closes) {
      long millis = close.timeout(BOUND + 5_000, TimeUnit.MILLISECONDS).await();
      assertTrue(millis >= BOUND - 50 && millis < BOUND + 3_000, "closed after " + millis + " ms");
    }
  }

  @Test
  void a_slow_complete_request_an_event_stream_and_agents_outlive_the_bound(Vertx vertx) throws Exception {
    Fixture fx = new Fixture(vertx, dir).with(c -> c.setRequestHeaderTimeout(BOUND).setSseHeartbeat(100)).start();
    List<String> disconnected = new ArrayList<>();
    vertx.eventBus().<JsonObject>consumer(Addresses.REGISTRY_EVENTS, m -> {
      if ("disconnected".equals(m.body().getString("event"))) {
        disconnected.add(m.body().getString("clientId"));
      }
    });
    fx.agent("slow-1", fx.randomFile("f.bin", 150L * Fixture.CHUNK), c -> new LifecycleTest.SlowAgent(c, new AtomicInteger()));

    // A request head sent in pieces, all of it well within the bound, is answered.
    NetSocket slow = vertx.createNetClient().connect(fx.server.apiPort(), "127.0.0.1").await();
    Promise<String> answer = Promise.promise();
    Buffer received = Buffer.buffer();
    slow.handler(b -> {
      received.appendBuffer(b);
      if (received.toString().contains("\r\n\r\n")) {
        answer.tryComplete(received.toString());
      }
    });
    String head = "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    for (int i = 0; i < head.length(); i += 8) {
      slow.write(head.substring(i, Math.min(head.length(), i + 8)));
      Thread.sleep(BOUND / 20);
    }
    assertTrue(answer.future().timeout(5, TimeUnit.SECONDS).await().startsWith("HTTP/1.1 200"), received::toString);

    // An event stream of a pull that runs for several bounds stays open to its final event.
    String id = fx.api().startPull("slow-1");
    HttpClient http = vertx.createHttpClient();
    long opened = System.currentTimeMillis();
    HttpClientResponse stream = http.request(HttpMethod.GET, fx.server.apiPort(), "127.0.0.1",
      "/api/v1/downloads/" + id + "/events").compose(r -> r.putHeader("Authorization", fx.authorization()).send()).await();
    assertEquals(200, stream.statusCode());
    String events = stream.body().await().toString();
    long open = System.currentTimeMillis() - opened;
    assertTrue(open > 2 * BOUND, "the stream was open " + open + " ms");
    assertTrue(events.contains("event: final") && events.contains("\"completed\""), events);
    assertFalse(disconnected.contains("slow-1"), "the agent's WebSocket was never cut: " + disconnected);
  }

  /** Connects, sends {@code partial} (or nothing), and completes with how long the server took to close. */
  private static Future<Long> closeAfter(NetClient net, int port, String partial) {
    return net.connect(port, "127.0.0.1").compose(socket -> {
      long start = System.currentTimeMillis();
      Promise<Long> closed = Promise.promise();
      socket.closeHandler(v -> closed.complete(System.currentTimeMillis() - start));
      if (partial != null) {
        socket.write(partial);
      }
      return closed.future();
    });
  }

  /** Before, the stream's end handler replaced the deadline's, and the connection was never timed out again. */
  @Test
  void a_connection_whose_event_stream_ended_is_timed_out_again(Vertx vertx) throws Exception {
    Fixture fx = new Fixture(vertx, dir).with(c -> c.setRequestHeaderTimeout(BOUND)).start();
    RawAgent gone = RawAgent.register(fx, "gone");
    Promise<Void> offline = Promise.promise();
    vertx.eventBus().<JsonObject>consumer(Addresses.REGISTRY_EVENTS, m -> {
      if ("disconnected".equals(m.body().getString("event"))) {
        offline.tryComplete();
      }
    });
    gone.ws.close();
    offline.future().timeout(5, TimeUnit.SECONDS).await();
    String id = fx.startPull("gone", null).getString("requestId"); // queued: its agent is known but away

    NetSocket socket = vertx.createNetClient().connect(fx.server.apiPort(), "127.0.0.1").await();
    StringBuilder received = new StringBuilder();
    Promise<Void> streaming = Promise.promise();
    Promise<Long> streamEnded = Promise.promise();
    Promise<Long> closed = Promise.promise();
    socket.handler(b -> {
      received.append(b.toString());
      if (received.indexOf("event: state") >= 0) {
        streaming.tryComplete();
      }
      if (received.indexOf("event: final") >= 0 && received.indexOf("\r\n0\r\n\r\n") >= 0) {
        streamEnded.tryComplete(System.nanoTime());
      }
    });
    socket.closeHandler(v -> closed.complete(System.nanoTime()));
    socket.write("GET /api/v1/downloads/" + id + "/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + fx.authorization() + "\r\n\r\n");
    streaming.future().timeout(5, TimeUnit.SECONDS).await();
    fx.request(Addresses.DOWNLOADS_CANCEL, new JsonObject().put("requestId", id));

    long end = streamEnded.future().timeout(5, TimeUnit.SECONDS).await();
    long millis = (closed.future().timeout(BOUND + 5_000, TimeUnit.MILLISECONDS).await() - end) / 1_000_000;
    assertTrue(millis < BOUND + 3_000, "the idle connection closed " + millis + " ms after its stream ended");
  }
}
