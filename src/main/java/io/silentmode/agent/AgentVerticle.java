package io.silentmode.agent;

import io.silentmode.protocol.ChunkFrame;
import io.silentmode.protocol.ErrorCode;
import io.silentmode.protocol.MessageType;
import io.silentmode.protocol.Protocol;
import io.silentmode.protocol.PullException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The agent: dials the server, registers, answers heartbeats and serves the chunks the server asks for.
 * It reconnects with exponential backoff and jitter whenever the connection is lost or the server goes silent.
 * File reads and hashing run off the event loop, in request order.
 */
public class AgentVerticle extends VerticleBase {

  public static final String VERSION = "0.1.0";
  private static final System.Logger log = System.getLogger(AgentVerticle.class.getName());
  private static final long MAX_RECONNECT_DELAY_MS = 60_000;

  private final AgentConfig config;
  private final Promise<Void> gaveUp = Promise.promise();
  private final Map<String, ServedFile> serving = new HashMap<>();
  /** Requests whose file is still being opened and hashed; a cancel meanwhile removes the id. */
  private final Set<String> opening = new HashSet<>();
  private WebSocketClient client;
  private WebSocket ws;
  private int failedAttempts;
  private long watchdog = -1;
  private long heartbeatInterval = 30_000;
  private boolean stopping;

  public AgentVerticle(AgentConfig config) {
    this.config = config;
  }

  /** Fails once MAX_RECONNECT_ATTEMPTS were used up; never completes otherwise. */
  public Future<Void> gaveUp() {
    return gaveUp.future();
  }

  @Override
  public Future<?> start() {
    int maxMessage = Protocol.MAX_CHUNK_SIZE + ChunkFrame.HEADER_SIZE;
    client = vertx.createWebSocketClient(new WebSocketClientOptions()
      .setMaxFrameSize(maxMessage)
      .setMaxMessageSize(maxMessage));
    connect();
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    closeAll();
    return ws == null ? client.close() : ws.close().eventually(client::close);
  }

  private void connect() {
    WebSocketConnectOptions options = new WebSocketConnectOptions().setAbsoluteURI(config.serverUrl());
    client.connect(options)
      .onSuccess(this::opened)
      .onFailure(e -> {
        log.log(System.Logger.Level.WARNING, "Cannot reach " + config.serverUrl() + ": " + e.getMessage());
        reconnectLater();
      });
  }

  private void opened(WebSocket socket) {
    ws = socket;
    socket.textMessageHandler(this::onText);
    socket.closeHandler(v -> {
      log.log(System.Logger.Level.WARNING, "Connection to " + config.serverUrl() + " closed"
        + (socket.closeReason() == null ? "" : ": " + socket.closeReason()));
      ws = null;
      vertx.cancelTimer(watchdog);
      closeAll();
      reconnectLater();
    });
    socket.writeTextMessage(Protocol.message(MessageType.REGISTER)
      .put("clientId", config.clientId())
      .put("protocolVersion", Protocol.VERSION)
      .put("agentVersion", VERSION)
      .put("metadata", new JsonObject()
        .put("os", System.getProperty("os.name"))
        .put("filePath", config.filePath())).encode());
  }

  private void reconnectLater() {
    if (stopping) {
      return;
    }
    failedAttempts++;
    if (config.maxReconnectAttempts() > 0 && failedAttempts > config.maxReconnectAttempts()) {
      gaveUp.tryFail("gave up after " + config.maxReconnectAttempts() + " reconnect attempts to " + config.serverUrl());
      return;
    }
    long backoff = Math.min(MAX_RECONNECT_DELAY_MS, config.reconnectInterval() << Math.min(failedAttempts - 1, 20));
    long delay = Math.max(1, (long) (backoff * (0.5 + ThreadLocalRandom.current().nextDouble() / 2)));
    log.log(System.Logger.Level.INFO, "Reconnecting in " + delay + " ms (attempt " + failedAttempts + ")");
    vertx.setTimer(delay, t -> connect());
  }

  private void onText(String text) {
    JsonObject message;
    try {
      message = new JsonObject(text);
    } catch (DecodeException e) {
      log.log(System.Logger.Level.WARNING, "Ignoring a control frame that is not JSON");
      return;
    }
    MessageType type = Protocol.typeOf(message);
    if (type == null) {
      return;
    }
    switch (type) {
      case REGISTER_ACK -> registered(message);
      case PING -> {
        armWatchdog();
        send(Protocol.message(MessageType.PONG).put("timestamp", message.getString("timestamp")));
      }
      case DOWNLOAD_REQUEST -> downloadRequested(message);
      case REQUEST_CHUNKS, RETRY_CHUNK -> chunksRequested(message);
      case DOWNLOAD_COMPLETE, CANCEL_DOWNLOAD -> release(message.getString("requestId"));
      case ERROR -> serverError(message);
      default -> log.log(System.Logger.Level.DEBUG, "Ignoring " + type);
    }
  }

  private void registered(JsonObject ack) {
    failedAttempts = 0;
    heartbeatInterval = ack.getLong("heartbeatInterval", 30_000L);
    armWatchdog();
    log.log(System.Logger.Level.INFO, "Registered with " + config.serverUrl() + " as " + config.clientId());
  }

  /**
   * A registration the server refuses (wrong protocol version, invalid id) would be refused again: give up
   * instead of reconnecting forever.
   */
  private void serverError(JsonObject error) {
    ErrorCode code = ErrorCode.parse(error.getString("code"));
    log.log(System.Logger.Level.WARNING, "Server error " + code + ": " + error.getString("message"));
    if (code == ErrorCode.PROTOCOL_VERSION_MISMATCH || code == ErrorCode.VALIDATION_FAILED) {
      stopping = true;
      gaveUp.tryFail("the server refused this agent: " + code + " " + error.getString("message"));
    }
  }

  /** Reconnects when the server has been silent for three heartbeat intervals: a half-open socket looks alive. */
  private void armWatchdog() {
    vertx.cancelTimer(watchdog);
    watchdog = vertx.setTimer(3 * heartbeatInterval + 1000, t -> {
      log.log(System.Logger.Level.WARNING, "No heartbeat from the server; reconnecting");
      if (ws != null) {
        ws.close();
      }
    });
  }

  private void downloadRequested(JsonObject request) {
    String requestId = request.getString("requestId");
    int chunkSize = request.getInteger("chunkSize", 0);
    opening.add(requestId);
    vertx.executeBlocking(() -> {
        if (chunkSize <= 0 || chunkSize > Protocol.MAX_CHUNK_SIZE) {
          throw new PullException(ErrorCode.PROTOCOL_ERROR, "chunkSize " + chunkSize + " is outside 1.." + Protocol.MAX_CHUNK_SIZE);
        }
        ServedFile file = ServedFile.open(UUID.fromString(requestId), Path.of(config.filePath()),
          request.getString("filePath"), chunkSize);
        try {
          return new Object[] {file, file.sha256()};
        } catch (RuntimeException e) {
          file.close();
          throw e;
        }
      })
      .onSuccess(opened -> {
        ServedFile file = (ServedFile) opened[0];
        if (!opening.remove(requestId)) {
          close(file); // cancelled, or the connection went, while the file was hashed
          return;
        }
        release(requestId);
        serving.put(requestId, file);
        send(Protocol.message(MessageType.DOWNLOAD_ACK)
          .put("requestId", requestId)
          .put("success", true)
          .put("fileName", file.fileName)
          .put("fileSize", file.size)
          .put("totalChunks", file.totalChunks)
          .put("fileChecksum", opened[1]));
      })
      .onFailure(e -> {
        if (opening.remove(requestId)) {
          sendError(requestId, e);
        }
      });
  }

  private void chunksRequested(JsonObject request) {
    String requestId = request.getString("requestId");
    ServedFile file = serving.get(requestId);
    if (file == null) {
      return; // cancelled meanwhile
    }
    int from = request.getInteger("index", -1);
    int count = request.getInteger("count", 1);
    for (int index = from; index < from + count; index++) {
      int i = index;
      vertx.executeBlocking(() -> file.released() ? null : prepare(i, file.frame(i)))
        .onSuccess(frame -> {
          if (frame != null && ws != null && !file.released()) {
            ws.writeBinaryMessage(Buffer.buffer(frame));
          }
        })
        .onFailure(e -> sendError(requestId, e));
    }
  }

  /**
   * A chunk frame about to be sent, or null to send nothing; runs on a worker thread.
   * Tests override it to simulate a faulty link or a file that changes under the agent.
   */
  protected byte[] prepare(int index, byte[] frame) {
    return frame;
  }

  private void sendError(String requestId, Throwable e) {
    PullException failure = PullException.of(e);
    log.log(System.Logger.Level.WARNING, "Pull " + requestId + ": " + failure.code() + " " + failure.getMessage());
    release(requestId);
    send(Protocol.error(requestId, failure.code(), failure.getMessage()));
  }

  private void release(String requestId) {
    opening.remove(requestId);
    ServedFile file = serving.remove(requestId);
    if (file != null) {
      close(file);
    }
  }

  private void close(ServedFile file) {
    file.release();
    vertx.executeBlocking(() -> {
      file.close();
      return null;
    });
  }

  private void closeAll() {
    opening.clear();
    serving.keySet().stream().toList().forEach(this::release);
  }

  private void send(JsonObject message) {
    if (ws != null) {
      ws.writeTextMessage(message.encode());
    }
  }
}
