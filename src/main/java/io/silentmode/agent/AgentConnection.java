package io.silentmode.agent;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.silentmode.protocol.ErrorCode;
import io.silentmode.protocol.MessageType;
import io.silentmode.protocol.Protocol;
import io.silentmode.protocol.WebSocketOpcode;
import io.silentmode.tls.ServerTrust;
import io.silentmode.tls.TlsEngine;
import io.silentmode.vertx.VertxInternals;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The agent's one connection to the server and its handshake: it dials, answers the server's CHALLENGE with a
 * REGISTER that proves who the agent is ({@link AgentIdentity}), answers PINGs, keeps a watchdog, and dials again
 * with exponential backoff and jitter whenever the connection is lost. What the server asks after REGISTER_ACK is
 * the {@link Listener}'s.
 */
final class AgentConnection {

  /** What the agent does with its connection once registered. Called on the event loop. */
  interface Listener {
    void registered(JsonObject ack);

    /** A server message that is neither part of the handshake nor a PING. */
    void message(MessageType type, JsonObject message);

    /** The connection is gone: every pull on it is over. */
    void closed();
  }

  private static final System.Logger log = System.getLogger(AgentConnection.class.getName());
  private static final long MAX_RECONNECT_DELAY_MS = 60_000;
  private static final long CLOSE_TIMEOUT_MS = 5_000;
  /** A CHALLENGE nonce is 43 characters; anything much longer is not one, and is not signed. */
  private static final int MAX_NONCE = 256;
  /** Refusals that would come again on every reconnect: the agent gives up instead. */
  private static final Set<ErrorCode> FINAL = Set.of(ErrorCode.PROTOCOL_VERSION_MISMATCH, ErrorCode.VALIDATION_FAILED,
    ErrorCode.AGENT_NOT_ENROLLED, ErrorCode.AGENT_AUTH_FAILED, ErrorCode.AGENT_REVOKED, ErrorCode.ENROLLMENT_REFUSED);

  private final Vertx vertx;
  private final AgentConfig config;
  private final ServerTrust trust;
  private final JsonObject labels;
  private final AgentIdentity identity;
  private final WebSocketClientOptions options;
  private final Listener listener;
  private final Promise<Void> gaveUp = Promise.promise();
  private WebSocketClient client;
  private WebSocket ws;
  /** Where the agent's messages, framed and masked by {@link MaskedMessage}, are written: the connection's pipeline. */
  private ChannelHandlerContext wire;
  /** The connection's CHALLENGE was answered: any later one is ignored. */
  private boolean challenged;
  private int failedAttempts;
  /** Which of the servers (SERVER_WS_URL) is dialled: the one that answered last, the next after a failure. */
  private int server;
  private long watchdog = -1;
  private long heartbeatInterval = 30_000;
  private boolean stopping;

  AgentConnection(Vertx vertx, AgentConfig config, ServerTrust trust, JsonObject labels, AgentIdentity identity,
                  WebSocketClientOptions options, Listener listener) {
    this.vertx = vertx;
    this.config = config;
    this.trust = trust;
    this.labels = labels;
    this.identity = identity;
    this.options = options;
    this.listener = listener;
  }

  void start() {
    client = vertx.createWebSocketClient(options);
    connect();
  }

  Future<Void> stop() {
    stopping = true;
    // A close frame waits behind the chunks already written; on a link that no longer moves them, give up on it.
    return ws == null ? client.close()
      : ws.close().timeout(CLOSE_TIMEOUT_MS, TimeUnit.MILLISECONDS).eventually(client::close);
  }

  Future<Void> gaveUp() {
    return gaveUp.future();
  }

  boolean stopping() {
    return stopping;
  }

  /** The connection's pipeline below Vert.x's WebSocket, where chunk messages are written; null while not connected. */
  ChannelHandlerContext wire() {
    return wire;
  }

  /** The server dialled now. */
  String url() {
    List<String> urls = config.serverUrls();
    return urls.get(server % urls.size());
  }

  private void connect() {
    WebSocketConnectOptions connect = new WebSocketConnectOptions().setAbsoluteURI(url());
    client.connect(connect)
      .onSuccess(this::opened)
      .onFailure(e -> {
        // A server that fails verification is never retried in plain text: only the same URLs, later.
        String tls = trust.describeFailure(e);
        log.log(System.Logger.Level.WARNING, tls != null ? "Refusing " + url() + ": " + tls
          : "Cannot reach " + url() + ": " + e.getMessage());
        reconnectLater();
      });
  }

  private void opened(WebSocket socket) {
    ws = socket;
    wire = VertxInternals.pipelineOf(socket);
    challenged = false;
    armWatchdog(); // a REGISTER whose answer never comes leaves a link as dead as one that stops carrying PINGs
    socket.textMessageHandler(this::onText);
    // A message over the client's limit is only reported here, and the socket stays open: close it. The server sends
    // small control messages alone; a frame over the limit Netty refuses itself.
    socket.exceptionHandler(e -> {
      if (e instanceof IllegalStateException && String.valueOf(e.getMessage()).contains("max message size")) {
        log.log(System.Logger.Level.WARNING, "Closing the connection to " + url() + ": " + e.getMessage());
        socket.close((short) 1009, "Message too big");
      } else {
        log.log(System.Logger.Level.DEBUG, "Connection to " + url() + ": " + e);
      }
    });
    socket.closeHandler(v -> {
      log.log(closeLevel(socket.closeStatusCode()), "Connection to " + url() + " closed"
        + (socket.closeStatusCode() == null ? "" : " (" + socket.closeStatusCode() + ")")
        + (socket.closeReason() == null ? "" : ": " + socket.closeReason()));
      ws = null;
      wire = null;
      vertx.cancelTimer(watchdog);
      listener.closed();
      reconnectLater();
    });
  }

  /**
   * Closes on purpose are not warnings: this agent stopping, or the server closing normally or going away (1000,
   * 1001: a restart). Anything else, such as a policy close or a connection lost without a close frame, is.
   */
  private System.Logger.Level closeLevel(Short status) {
    if (stopping) {
      return System.Logger.Level.DEBUG;
    }
    return status != null && (status == 1000 || status == 1001) ? System.Logger.Level.INFO : System.Logger.Level.WARNING;
  }

  /** Dials again later, the next server of SERVER_WS_URL: a cluster node that went away has others beside it. */
  private void reconnectLater() {
    if (stopping) {
      return;
    }
    failedAttempts++;
    server++;
    if (config.maxReconnectAttempts() > 0 && failedAttempts > config.maxReconnectAttempts()) {
      gaveUp.tryFail("gave up after " + config.maxReconnectAttempts() + " reconnect attempts to " + String.join(", ", config.serverUrls()));
      return;
    }
    long delay = reconnectDelay(config.reconnectInterval(), failedAttempts);
    log.log(System.Logger.Level.INFO, "Reconnecting in " + delay + " ms (attempt " + failedAttempts + ")");
    vertx.setTimer(delay, t -> connect());
  }

  /** The wait before reconnect attempt {@code failedAttempts} (from 1): doubling up to 60 s, jittered to 50-100 %. */
  static long reconnectDelay(long interval, int failedAttempts) {
    long backoff = Math.min(MAX_RECONNECT_DELAY_MS, interval << Math.min(failedAttempts - 1, 20));
    return Math.max(1, (long) (backoff * (0.5 + ThreadLocalRandom.current().nextDouble() / 2)));
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
      case CHALLENGE -> challenged(message);
      case REGISTER_ACK -> registered(message);
      case PING -> {
        armWatchdog();
        send(Protocol.pong(message));
      }
      case ERROR -> serverError(message);
      default -> listener.message(type, message);
    }
  }

  /** The server's first message: REGISTER answers it, signing its nonce, once per connection. */
  private void challenged(JsonObject challenge) {
    if (challenged || !(challenge.getValue("nonce") instanceof String nonce) || nonce.length() > MAX_NONCE) {
      log.log(System.Logger.Level.WARNING, "Ignoring a CHALLENGE that is repeated or has no usable nonce");
      return;
    }
    challenged = true;
    // What the agent serves, as it stands now, for operators to see (off the event loop: a stat can block).
    JsonObject metadata = new JsonObject().put("os", System.getProperty("os.name")).put("filePath", config.filePath());
    vertx.fileSystem().props(config.filePath())
      .onSuccess(file -> metadata.put("fileSize", file.size())
        .put("fileModifiedAt", Instant.ofEpochMilli(file.lastModifiedTime()).toString()))
      .onComplete(ar -> send(identity.prove(Protocol.register(config.clientId(), AgentVerticle.VERSION, metadata, labels), nonce)));
  }

  private void registered(JsonObject ack) {
    failedAttempts = 0;
    heartbeatInterval = ack.getLong("heartbeatInterval", 30_000L);
    armWatchdog();
    if (Boolean.TRUE.equals(ack.getValue("enrolled"))) {
      remember(true);
      log.log(System.Logger.Level.INFO, "Enrolled with " + url() + " as " + config.clientId());
    }
    log.log(System.Logger.Level.INFO, "Registered with " + url() + " as " + config.clientId()
      + (ws != null && ws.isSsl() ? ", " + ws.sslSession().getProtocol() + " " + ws.sslSession().getCipherSuite()
        + " by " + TlsEngine.describe() : ""));
    listener.registered(ack);
  }

  /**
   * A registration the server refuses (wrong protocol version, invalid id, an identity it does not take) would be
   * refused again: give up instead of reconnecting forever. Except an agent asked to enroll again that has the
   * token: its next REGISTER enrolls its key.
   */
  private void serverError(JsonObject error) {
    ErrorCode code = ErrorCode.parse(error.getString("code"));
    log.log(System.Logger.Level.WARNING, "Server error " + code + ": " + error.getString("message"));
    if (code == ErrorCode.AGENT_NOT_ENROLLED && identity.canEnroll()) {
      remember(false);
    } else if (FINAL.contains(code)) {
      stopping = true;
      gaveUp.tryFail("the server refused this agent: " + code + " " + error.getString("message")
        + (code == ErrorCode.AGENT_NOT_ENROLLED ? "; give it the token `silentmode server enrollment-token` prints,"
          + " with --enrollment-token or ENROLLMENT_TOKEN" : ""));
    }
  }

  private void remember(boolean enrolled) {
    vertx.executeBlocking(() -> {
      identity.enrolled(enrolled);
      return null;
    }).onFailure(e -> log.log(System.Logger.Level.ERROR, "Cannot write the state file: " + e.getMessage()));
  }

  /** Reconnects when the server has been silent for three heartbeat intervals: a half-open socket looks alive. */
  private void armWatchdog() {
    vertx.cancelTimer(watchdog);
    watchdog = vertx.setTimer(3 * heartbeatInterval + 1000, t -> {
      log.log(System.Logger.Level.WARNING, "No heartbeat from the server; reconnecting");
      if (wire != null) {
        // No close handshake: on a half-open socket the close frame would wait forever behind unsent chunks. From
        // Vert.x's own handler on, not through it: its close waits 10 s for a link that no longer moves.
        wire.close();
      }
    });
  }

  /**
   * Sends a protocol message (a JSON text frame) the way chunks go, so that it leaves in order among them. It is
   * framed from direct buffers, as chunks are: with heap buffers here, the masking loop saw two buffer types, and C2
   * compiled it for both without vector instructions. The agent then spent 1.4 s of CPU per GiB instead of 0.9.
   */
  void send(JsonObject message) {
    if (wire != null) {
      byte[] bytes = message.encode().getBytes(StandardCharsets.UTF_8);
      ByteBuffer text = ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
      ByteBuffer encoded = ByteBuffer.allocateDirect(MaskedMessage.encodedLength(text.remaining(), AgentVerticle.WIRE_FRAME_SIZE));
      MaskedMessage.encode(WebSocketOpcode.TEXT, text, encoded, AgentVerticle.WIRE_FRAME_SIZE);
      wire.writeAndFlush(Unpooled.wrappedBuffer(encoded));
    }
  }
}
