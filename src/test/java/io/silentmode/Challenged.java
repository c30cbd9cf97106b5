package io.silentmode;

import io.silentmode.protocol.MessageType;
import io.silentmode.protocol.Protocol;
import io.vertx.core.Promise;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.TimeUnit;

/**
 * A bare WebSocket to the server, opened as docs/PROTOCOL.md §4a says: after the server's CHALLENGE, whose nonce a
 * REGISTER's proof signs. The test sets its own handlers afterwards; the server sends nothing more until it is sent
 * something.
 */
record Challenged(WebSocket ws, String nonce) {

  static Challenged open(WebSocketClient client, int port) {
    Promise<JsonObject> challenge = Promise.promise();
    // The handler is set before the connection exists, so the CHALLENGE cannot slip past it.
    ClientWebSocket socket = client.webSocket();
    socket.textMessageHandler(t -> challenge.tryComplete(new JsonObject(t)));
    WebSocket ws = socket.connect(port, "127.0.0.1", "/").await();
    JsonObject first = challenge.future().timeout(10, TimeUnit.SECONDS).await();
    if (Protocol.typeOf(first) != MessageType.CHALLENGE) {
      throw new AssertionError("the server's first message is not a CHALLENGE: " + first.encode());
    }
    return new Challenged(ws, first.getString("nonce"));
  }
}
