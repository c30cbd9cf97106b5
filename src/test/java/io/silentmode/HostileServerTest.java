package io.silentmode;

import io.silentmode.agent.AgentConfig;
import io.silentmode.agent.AgentVerticle;
import io.silentmode.protocol.MessageType;
import io.silentmode.protocol.Protocol;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * The agent protects its machine from the server it dials: a server written here, as hostile as it likes, asks it
 * for other files, for chunks it does not have, and sends it more than a control message can hold.
 */
@ExtendWith(VertxExtension.class)
class HostileServerTest {

  @TempDir
  Path dir;

  @Test
  void whatever_path_a_server_asks_for_the_agent_serves_only_its_file() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Path served = Files.writeString(dir.resolve("served.txt"), "the served file");
      Path other = Files.writeString(dir.resolve("other.txt"), "not for the server");
      Files.createSymbolicLink(dir.resolve("link.txt"), other);
      BlockingQueue<JsonObject> inbox = new LinkedBlockingQueue<>();
      Promise<ServerWebSocket> connected = Promise.promise();
      Promise<Short> closed = Promise.promise();
      HttpServer server = vertx.createHttpServer().webSocketHandler(ws -> {
        ws.textMessageHandler(t -> inbox.add(new JsonObject(t)));
        ws.closeHandler(v -> closed.tryComplete(ws.closeStatusCode()));
        ws.writeTextMessage(Protocol.message(MessageType.CHALLENGE).put("nonce", "n").encode());
        connected.tryComplete(ws);
      }).listen(0, "127.0.0.1").await();
      vertx.deployVerticle(new AgentVerticle(new AgentConfig("shop-h", "ws://127.0.0.1:" + server.actualPort(),
        served.toString(), 50, 0, 0))).await();
      ServerWebSocket ws = connected.future().timeout(10, TimeUnit.SECONDS).await();
      assertEquals("REGISTER", next(inbox).getString("type"));
      ws.writeTextMessage(Protocol.message(MessageType.REGISTER_ACK).put("success", true).put("protocolVersion", 1)
        .put("heartbeatInterval", 30_000).put("chunkSize", 1024).encode());

      List<String> hostile = List.of(other.toString(), "/etc/passwd", "/etc/shadow", "../../../../../../etc/passwd",
        dir.toString(), dir.resolve("link.txt").toString(), dir.resolve("served.txt/../other.txt").toString(),
        served + "\u0000", "served.txt", "file://" + served, "~/.ssh/id_rsa", "x".repeat(30_000), "");
      for (String path : hostile) {
        JsonObject answer = ask(ws, inbox, request(path));
        assertEquals("ERROR", answer.getString("type"), () -> path + ": " + answer.encode());
        assertEquals("PERMISSION_DENIED", answer.getString("code"), () -> path + ": " + answer.encode());
      }
      JsonObject ack = ask(ws, inbox, request(null));
      assertEquals("DOWNLOAD_ACK", ack.getString("type"), ack::encode);
      assertEquals("served.txt", ack.getString("fileName"));
      assertEquals(15, ack.getInteger("fileSize"));

      ws.writeTextMessage(Protocol.message(MessageType.REQUEST_CHUNKS).put("requestId", ack.getString("requestId"))
        .put("index", 0).put("count", 2_000_000_000).encode());
      JsonObject refused = next(inbox);
      assertEquals("PROTOCOL_ERROR", refused.getString("code"), refused::encode);

      // The server sends control messages alone: one over 64 KiB is no message, and the agent hangs up.
      ws.writeTextMessage(Protocol.message(MessageType.PING).put("timestamp", "t".repeat(100_000)).encode());
      assertEquals((short) 1009, closed.future().timeout(10, TimeUnit.SECONDS).await());
    } finally {
      vertx.close().await();
    }
  }

  private static JsonObject request(String path) {
    return Protocol.message(MessageType.DOWNLOAD_REQUEST).put("requestId", UUID.randomUUID().toString())
      .put("filePath", path).put("chunkSize", 1024);
  }

  /** Sends {@code request} and returns the agent's answer to it, DOWNLOAD_PREPARING left aside. */
  private static JsonObject ask(ServerWebSocket ws, BlockingQueue<JsonObject> inbox, JsonObject request) throws Exception {
    ws.writeTextMessage(request.encode());
    while (true) {
      JsonObject m = next(inbox);
      if (request.getString("requestId").equals(m.getString("requestId")) && !"DOWNLOAD_PREPARING".equals(m.getString("type"))) {
        return m;
      }
    }
  }

  private static JsonObject next(BlockingQueue<JsonObject> inbox) throws InterruptedException {
    JsonObject m = inbox.poll(10, TimeUnit.SECONDS);
    assertNotNull(m, "the agent said nothing in 10 s");
    return m;
  }
}
