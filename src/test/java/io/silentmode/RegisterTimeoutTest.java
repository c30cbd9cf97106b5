package io.silentmode;

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
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A WebSocket that never registers is refused once REGISTER_TIMEOUT passes: ERROR PROTOCOL_ERROR, then 1008. */
@ExtendWith(VertxExtension.class)
class RegisterTimeoutTest {

  @TempDir
  Path dir;

  @Test
  void a_socket_silent_past_REGISTER_TIMEOUT_gets_a_protocol_error_and_is_closed(Vertx vertx) {
    Fixture fx = new Fixture(vertx, dir).with(c -> c.setRegisterTimeout(300)).start();
    WebSocket ws = RawAgent.connect(fx);
    Promise<String> error = Promise.promise();
    Promise<String> closed = Promise.promise();
    ws.textMessageHandler(error::tryComplete);
    ws.closeHandler(v -> closed.tryComplete(ws.closeStatusCode() + " " + ws.closeReason()));

    JsonObject answer = new JsonObject(error.future().timeout(5, TimeUnit.SECONDS).await());
    assertEquals("PROTOCOL_ERROR", answer.getString("code"), answer::encode);
    assertTrue(answer.getString("message").contains("REGISTER_TIMEOUT (300 ms)"), answer::encode);
    assertEquals("1008 PROTOCOL_ERROR", closed.future().timeout(5, TimeUnit.SECONDS).await());
  }
}
