package io.silentmode.process;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The proxy the process tests cut links with: it carries bytes, then carries none and closes nothing. */
@ExtendWith(VertxExtension.class)
class BlackHoleProxyTest {

  private Vertx vertx;
  private NetClient client;
  /** The far end: echoes what it gets, and counts it. */
  private Promise<NetSocket> accepted;
  private final AtomicLong received = new AtomicLong();
  private BlackHoleProxy proxy;

  @BeforeEach
  void start(Vertx vertx) {
    this.vertx = vertx;
    client = vertx.createNetClient();
    accepted = Promise.promise();
    NetServer target = vertx.createNetServer().connectHandler(socket -> {
      socket.handler(data -> {
        received.addAndGet(data.length());
        socket.write(data);
      });
      accepted.tryComplete(socket);
    });
    target.listen(0, "127.0.0.1").await();
    proxy = BlackHoleProxy.start(vertx, target.actualPort());
  }

  @Test
  void bytes_pass_both_ways_and_a_close_passes_through() {
    NetSocket socket = connect();
    assertEquals("ping", roundTrip(socket, "ping"));
    Promise<Void> farEndClosed = Promise.promise();
    accepted.future().await().closeHandler(v -> farEndClosed.complete());
    socket.close().await();
    farEndClosed.future().timeout(5, TimeUnit.SECONDS).await();
  }

  @Test
  void a_black_hole_carries_nothing_either_way_and_closes_neither_side_then_restore_lets_new_connections_through() {
    NetSocket near = connect();
    assertEquals("ping", roundTrip(near, "ping"));
    NetSocket far = accepted.future().await();
    AtomicBoolean closed = new AtomicBoolean();
    AtomicLong nearReceived = new AtomicLong();
    near.closeHandler(v -> closed.set(true));
    far.closeHandler(v -> closed.set(true));
    near.handler(data -> nearReceived.addAndGet(data.length()));
    long farReceivedBefore = received.get();

    proxy.blackHole();
    // Each side writes until its own write queue is full: the bytes went nowhere and pushed back all the way.
    long fromNear = fillUntilBlocked(near);
    long fromFar = fillUntilBlocked(far);

    assertEquals(farReceivedBefore, received.get(), "bytes reached the server through a black hole");
    assertEquals(0, nearReceived.get(), "bytes reached the agent through a black hole");
    assertFalse(closed.get(), "a side saw its connection closed");
    assertTrue(fromNear > 0 && fromFar > 0);

    // The handler is set as the connection completes, on its event loop, before the proxy's close can arrive.
    Promise<Void> refused = Promise.promise();
    client.connect(proxy.port(), "127.0.0.1").onSuccess(s -> s.closeHandler(v -> refused.complete()));
    refused.future().timeout(5, TimeUnit.SECONDS).await();

    proxy.restore();
    assertEquals("pong", roundTrip(connect(), "pong"));
    assertFalse(closed.get(), "the black-holed connection was closed by restore");
  }

  @Test
  void a_throttled_proxy_carries_what_the_agent_sends_at_the_rate_it_is_given() {
    proxy.throttle(4 * 1024 * 1024);
    NetSocket socket = connect();
    long started = System.nanoTime();
    Promise<Void> all = Promise.promise();
    int size = 1024 * 1024;
    long before = received.get();
    accepted.future().await(); // counted from here on: the first bytes
    vertx.setPeriodic(5, t -> {
      if (received.get() - before >= size) {
        vertx.cancelTimer(t);
        all.tryComplete();
      }
    });
    socket.write(Buffer.buffer(new byte[size]));
    all.future().timeout(10, TimeUnit.SECONDS).await();
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    // The first read passes at once; the rest, 1 MiB less at most one read buffer, at 4 MiB/s is about 230 ms.
    assertTrue(ms >= 180, "1 MiB at 4 MiB/s took " + ms + " ms");
  }

  private NetSocket connect() {
    return client.connect(proxy.port(), "127.0.0.1").await();
  }

  private String roundTrip(NetSocket socket, String text) {
    Promise<String> answer = Promise.promise();
    socket.handler(data -> answer.tryComplete(data.toString()));
    socket.write(text);
    return answer.future().timeout(5, TimeUnit.SECONDS).await();
  }

  /** Writes 256 KiB at a time until the socket's write queue is full; returns how much was written. */
  private long fillUntilBlocked(NetSocket socket) {
    Promise<Long> blocked = Promise.promise();
    AtomicLong written = new AtomicLong();
    Buffer block = Buffer.buffer(new byte[256 * 1024]);
    vertx.setPeriodic(1, t -> {
      if (socket.writeQueueFull()) {
        vertx.cancelTimer(t);
        blocked.tryComplete(written.get());
      } else if (written.get() > 512L * 1024 * 1024) {
        vertx.cancelTimer(t);
        blocked.tryFail("512 MiB written and the queue never filled: the bytes go somewhere");
      } else {
        socket.write(block);
        written.addAndGet(block.length());
      }
    });
    return blocked.future().timeout(30, TimeUnit.SECONDS).await();
  }
}
