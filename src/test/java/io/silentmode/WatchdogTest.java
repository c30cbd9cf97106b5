package io.silentmode;

import io.silentmode.agent.AgentVerticle;
import io.silentmode.process.BlackHoleProxy;
import io.silentmode.server.Addresses;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A link that goes silent without closing (a black hole): both ends notice by the heartbeat and start over. */
@ExtendWith(VertxExtension.class)
class WatchdogTest {

  private static final long HEARTBEAT = 200;

  @TempDir
  Path dir;

  @Test
  void an_agent_whose_link_went_silent_leaves_it_at_its_watchdog_and_registers_again(Vertx vertx) throws Exception {
    Fixture fx = new Fixture(vertx, dir).with(c -> c.setHeartbeatInterval(HEARTBEAT)).start();
    BlackHoleProxy proxy = BlackHoleProxy.start(vertx, fx.server.wsPort());
    fx.agent("shop", fx.randomFile("f.bin", 10), proxy.url(), AgentVerticle::new);
    // The registry says connected before the REGISTER_ACK (with the heartbeat interval) is written: a pull's end
    // says the agent has it.
    assertEquals("completed", fx.pull("shop").getString("status"));
    Promise<Void> dropped = Promise.promise();
    vertx.eventBus().<JsonObject>consumer(Addresses.REGISTRY_EVENTS, m -> {
      if ("disconnected".equals(m.body().getString("event"))) {
        dropped.tryComplete();
      }
    });

    fx.expectReconnect("shop");
    proxy.blackHole();
    dropped.future().timeout(10, TimeUnit.SECONDS).await(); // the server's side: 3 heartbeats missed
    proxy.restore();
    long restored = System.nanoTime();
    fx.awaitConnected("shop");

    // The agent's watchdog fires 3 heartbeats + 1 s after the last PING, at most that after the black hole; its
    // close used to wait 10 s more for a close handshake the dead link could not carry.
    long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restored);
    assertTrue(took < 3 * HEARTBEAT + 1000 + 3000, "the agent came back " + took + " ms after the link did");
    proxy.close().await();
  }
}
