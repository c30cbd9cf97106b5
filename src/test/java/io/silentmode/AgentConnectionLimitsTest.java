package io.silentmode;

import io.silentmode.server.Addresses;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** One address cannot hold more agent sockets than MAX_AGENT_CONNECTIONS_PER_ADDRESS; a closed one frees its place. */
@ExtendWith(VertxExtension.class)
class AgentConnectionLimitsTest {

  @TempDir
  Path dir;

  @Test
  void a_socket_over_the_limit_is_closed_with_1013_and_one_that_closes_makes_room(Vertx vertx) {
    Fixture fx = new Fixture(vertx, dir).with(c -> c.setMaxAgentConnectionsPerAddress(2)).start();
    RawAgent first = RawAgent.register(fx, "shop-1");
    RawAgent.connect(fx);

    WebSocket third = fx.webSocketClient().connect(fx.server.wsPort(), "127.0.0.1", "/").await(); // refused: no CHALLENGE
    Promise<String> refused = Promise.promise();
    try {
      third.closeHandler(v -> refused.tryComplete(third.closeStatusCode() + " " + third.closeReason()));
    } catch (IllegalStateException closedAlready) { // the server's close can come before the handler is set
      refused.tryComplete(third.closeStatusCode() + " " + third.closeReason());
    }
    assertEquals("1013 too many connections", refused.future().timeout(5, TimeUnit.SECONDS).await());

    // the gateway gives the place back before it tells the registry the agent is gone
    Promise<Void> gone = Promise.promise();
    vertx.eventBus().<JsonObject>consumer(Addresses.REGISTRY_EVENTS, m -> {
      if ("disconnected".equals(m.body().getString("event"))) {
        gone.tryComplete();
      }
    });
    first.ws.close().await();
    gone.future().timeout(5, TimeUnit.SECONDS).await();
    RawAgent.register(fx, "shop-2"); // admitted: it registers
  }
}
