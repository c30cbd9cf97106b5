package io.silentmode;

import io.silentmode.protocol.ChunkFrame;
import io.silentmode.protocol.MessageType;
import io.silentmode.protocol.Protocol;
import io.silentmode.protocol.Sha256;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonObject;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * An agent written from docs/PROTOCOL.md alone, on a bare WebSocket, that a test steers message by message: honest
 * or hostile. It answers PINGs; what it does with each DOWNLOAD_REQUEST is the test's.
 */
final class RawAgent {

  final WebSocket ws;
  /** The first ERROR the server sent while {@link #serving} answered. */
  final Promise<JsonObject> firstError = Promise.promise();

  private RawAgent(WebSocket ws) {
    this.ws = ws;
  }

  /** A bare WebSocket to the fixture's server, its CHALLENGE read, nothing sent yet. */
  static WebSocket connect(Fixture fx) {
    return open(fx).ws();
  }

  /** The same, with the CHALLENGE's nonce, for a REGISTER that proves ({@link Fixture#prove}). */
  static Challenged open(Fixture fx) {
    return Challenged.open(fx.webSocketClient(), fx.server.wsPort());
  }

  /** Connects, enrolls (or proves its key), registers and waits until the server has registered the agent. */
  static RawAgent register(Fixture fx, String clientId) {
    Challenged opened = open(fx);
    opened.ws().writeTextMessage(fx.prove(Protocol.message(MessageType.REGISTER).put("clientId", clientId)
      .put("protocolVersion", Protocol.VERSION), opened.nonce()).encode());
    fx.awaitConnected(clientId);
    return new RawAgent(opened.ws());
  }

  /**
   * Answers each DOWNLOAD_REQUEST with the ACK {@code ack} makes of its requestId (null: {@code ack} sends it
   * itself, later), and serves {@code file}.
   */
  RawAgent serving(byte[] file, Function<String, JsonObject> ack) {
    return on(m -> {
      String requestId = m.getString("requestId");
      switch (Protocol.typeOf(m)) {
        case DOWNLOAD_REQUEST -> {
          JsonObject answer = ack.apply(requestId);
          if (answer != null) {
            send(answer);
          }
        }
        case REQUEST_CHUNKS, RETRY_CHUNK -> {
          for (int i = m.getInteger("index"); i < m.getInteger("index") + m.getInteger("count"); i++) {
            ws.writeBinaryMessage(Buffer.buffer(chunkFrame(requestId, i, file)));
          }
        }
        case ERROR -> firstError.tryComplete(m);
        default -> { }
      }
    });
  }

  /** Hands every message but PING to {@code handler}; PINGs get their PONG. */
  RawAgent on(Consumer<JsonObject> handler) {
    ws.textMessageHandler(text -> {
      JsonObject m = new JsonObject(text);
      if (Protocol.typeOf(m) == MessageType.PING) {
        send(Protocol.message(MessageType.PONG).put("timestamp", m.getValue("timestamp")));
      } else {
        handler.accept(m);
      }
    });
    return this;
  }

  void send(JsonObject message) {
    ws.writeTextMessage(message.encode());
  }

  /** An honest DOWNLOAD_ACK of {@code file} under {@code fileName}. */
  static JsonObject ack(String requestId, String fileName, byte[] file) {
    MessageDigest digest = Sha256.digest();
    return Protocol.message(MessageType.DOWNLOAD_ACK).put("requestId", requestId).put("success", true)
      .put("fileName", fileName).put("fileSize", file.length)
      .put("totalChunks", (file.length + Fixture.CHUNK - 1) / Fixture.CHUNK)
      .put("fileChecksum", Sha256.hex(digest.digest(file)));
  }

  /** Chunk {@code index} of {@code file} as the agent sends it: header with its SHA-256, then the payload. */
  static byte[] chunkFrame(String requestId, int index, byte[] file) {
    int from = index * Fixture.CHUNK;
    int length = Math.min(Fixture.CHUNK, file.length - from);
    byte[] frame = new byte[ChunkFrame.HEADER_SIZE + length];
    System.arraycopy(file, from, frame, ChunkFrame.HEADER_SIZE, length);
    MessageDigest digest = Sha256.digest();
    digest.update(file, from, length);
    ChunkFrame.writeHeader(ByteBuffer.wrap(frame), UUID.fromString(requestId), index, length, digest.digest());
    return frame;
  }
}
