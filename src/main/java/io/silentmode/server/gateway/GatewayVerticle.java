package io.silentmode.server.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.silentmode.protocol.AgentProof;
import io.silentmode.protocol.ChunkFrame;
import io.silentmode.protocol.ErrorCode;
import io.silentmode.protocol.MessageType;
import io.silentmode.protocol.Protocol;
import io.silentmode.server.Addresses;
import io.silentmode.server.ChunkCodec;
import io.silentmode.server.ServerConfig;
import io.silentmode.server.http.RequestHeadDeadline;
import io.silentmode.server.tls.ServerTls;
import io.silentmode.vertx.VertxInternals;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Accepts agent WebSocket connections and translates between frames and event-bus messages; owns nothing else.
 * Each connection starts with a CHALLENGE; until the agent has sent a valid REGISTER, proven by the registry, its
 * frames are not forwarded anywhere.
 */
public class GatewayVerticle extends VerticleBase {

  /** A connection that has not registered by then is closed: sockets cost memory and file descriptors. */
  private static final System.Logger log = System.getLogger(GatewayVerticle.class.getName());

  private final ServerConfig config;
  private final ServerTls tls;
  private AgentConnectionLimits limits;
  private FrameArrays arrays;
  private IdentityEvents identities;
  private HttpServer server;
  /** Set once undeploying: frames still arriving while the sockets close are released, not handed on. */
  private boolean stopping;

  public GatewayVerticle(ServerConfig config, ServerTls tls) {
    this.config = config;
    this.tls = tls;
  }

  @Override
  public Future<?> start() {
    // Enough for the frames of two full windows of chunk messages at once (two pulls, or one and its retries),
    // but no more than a quarter of the heap: with large chunks, frames beyond that are left to the collector.
    long windows = 2L * config.chunkWindow() * (maxMessageSize() / FrameArrays.SIZE + 1);
    arrays = new FrameArrays((int) Math.min(windows, Runtime.getRuntime().maxMemory() / 4 / FrameArrays.SIZE));
    identities = new IdentityEvents(vertx);
    limits = new AgentConnectionLimits(vertx, config.maxAgentConnections(), config.maxAgentConnectionsPerAddress());
    RequestHeadDeadline deadline = new RequestHeadDeadline(vertx, config.requestHeaderTimeout());
    server = vertx.createHttpServer(tls.configure(RequestHeadDeadline.http1(new HttpServerOptions()))
      .setHost(config.host())
      .setPort(config.wsPort())
      .setMaxWebSocketFrameSize(maxMessageSize())
      // No compression: chunks do not compress, and UnmaskingFrameDecoder reads frames without extensions.
      .setPerMessageWebSocketCompressionSupported(false)
      .setPerFrameWebSocketCompressionSupported(false))
      .connectionHandler(deadline::opened)
      .webSocketHandler(ws -> {
        deadline.upgraded(ws.remoteAddress());
        accept(ws);
      });
    return server.listen().onSuccess(tls::serve);
  }

  @Override
  public Future<?> stop() {
    stopping = true; // the orchestrator goes next (Server.stop): a frame sent to it now might never be released
    return server.close();
  }

  /** Control messages are small but must fit too, whatever CHUNK_SIZE is. */
  private int maxMessageSize() {
    return Math.max(64 * 1024, config.chunkSize() + ChunkFrame.HEADER_SIZE);
  }

  /** The bound port (useful when configured with port 0). */
  public int actualPort() {
    return server.actualPort();
  }

  private void accept(ServerWebSocket ws) {
    if (limits.admit(ws)) {
      new Connection(ws).start();
    }
  }

  /** One agent connection; lives as long as its socket. */
  private final class Connection {
    private final ServerWebSocket ws;
    private final String connectionId = UUID.randomUUID().toString();
    private final DeliveryOptions chunkDelivery = new DeliveryOptions().setLocalOnly(true).setCodecName(ChunkCodec.NAME);
    private MessageConsumer<JsonObject> outbound;
    private String clientId;
    /** Sent in CHALLENGE; the REGISTER's proof signs it, so the proof is good for this connection only. */
    private final String nonce = AgentProof.nonce();
    /** A REGISTER is with the registry: a second one before its answer is refused, not taken as a replacement. */
    private boolean registering;
    private boolean closed;
    /**
     * Commands for the agent that came while the registry was still answering its REGISTER: the registry tells the
     * orchestrator first, which may send a queued pull at once. They go out after the REGISTER_ACK, as the protocol
     * orders it; until then the agent's answers would find this connection unregistered.
     */
    private List<JsonObject> held = new ArrayList<>();

    Connection(ServerWebSocket ws) {
      this.ws = ws;
    }

    void start() {
      // A frame over the size limit only raises this; the socket stays open unless we close it.
      ws.exceptionHandler(e -> broken(e instanceof CorruptedWebSocketFrameException corrupt
        ? corrupt.closeStatus() : WebSocketCloseStatus.INTERNAL_SERVER_ERROR, e.getMessage()));
      ws.closeHandler(v -> onClose());
      // Frames are decoded by our own decoder, and text and binary messages taken in front of Vert.x's own handler
      // in the connection's Netty pipeline.
      ChannelHandlerContext vertxHandler = VertxInternals.pipelineOf(ws);
      ChannelPipeline pipeline = vertxHandler.pipeline();
      pipeline.replace(WebSocketFrameDecoder.class, "silentmode-frame-decoder", new UnmaskingFrameDecoder(maxMessageSize(), arrays));
      pipeline.addBefore(vertxHandler.name(), "silentmode-messages", new MessageAssembler(VertxInternals.emitter(context),
        maxMessageSize(), this::onText, this::onChunk, reason -> broken(WebSocketCloseStatus.MESSAGE_TOO_BIG, reason)));
      // A request the orchestrator sent just before the connection closed is dropped, as any after it.
      outbound = VertxInternals.quietWhenGone(
        vertx.eventBus().localConsumer(Addresses.gatewayConnection(connectionId), m -> send(m.body())));
      ws.writeTextMessage(Protocol.message(MessageType.CHALLENGE).put("nonce", nonce).encode());
      vertx.setTimer(config.registerTimeout(), t -> {
        if (clientId == null && !closed) {
          reject(ErrorCode.PROTOCOL_ERROR, "no REGISTER within REGISTER_TIMEOUT (" + config.registerTimeout() + " ms)");
        }
      });
    }

    private void send(JsonObject command) {
      if (closed) {
        return;
      }
      String close = command.getString("close");
      if (close != null) {
        if (command.getJsonObject("error") != null) {
          ws.writeTextMessage(command.getJsonObject("error").encode());
        }
        ws.close(command.getInteger("closeCode", (int) Protocol.CLOSE_POLICY).shortValue(), close);
      } else if (held != null) {
        held.add(command);
      } else {
        ws.writeTextMessage(command.encode());
      }
    }

    private void onText(String text) {
      JsonObject message;
      try {
        message = new JsonObject(text);
      } catch (DecodeException e) {
        reject(ErrorCode.PROTOCOL_ERROR, "control frame is not a JSON object");
        return;
      }
      String wrongTypes = Protocol.wrongFieldTypes(message);
      if (wrongTypes != null) {
        if (clientId == null) {
          reject(ErrorCode.PROTOCOL_ERROR, wrongTypes);
        } else {
          protest(null, wrongTypes + "; message ignored");
        }
        return;
      }
      MessageType type = Protocol.typeOf(message);
      if (clientId == null) {
        if (registering) {
          reject(ErrorCode.PROTOCOL_ERROR, "REGISTER sent again before REGISTER_ACK");
        } else if (type == MessageType.REGISTER) {
          register(message);
        } else {
          reject(ErrorCode.PROTOCOL_ERROR, "the first message must be REGISTER, got " + message.getString("type"));
        }
        return;
      }
      vertx.eventBus().send(Addresses.REGISTRY_SEEN, seen());
      if (type == null) {
        protest(message.getString("requestId"), "unknown message type " + message.getString("type"));
      } else if (type == MessageType.DOWNLOAD_ACK || type == MessageType.DOWNLOAD_PREPARING || type == MessageType.ERROR) {
        vertx.eventBus().send(Addresses.DOWNLOADS_AGENT_MESSAGE, message.put("clientId", clientId));
      }
      // PONG only counts as traffic; anything else from an agent has no meaning and is ignored.
    }

    /**
     * Tells a registered agent its message was ignored. An agent that keeps sending such messages but never reads
     * would pile the answers up in the server's memory: once its socket is backed up, it is closed instead.
     */
    private void protest(String requestId, String text) {
      if (ws.writeQueueFull()) {
        reject(ErrorCode.PROTOCOL_ERROR, "the agent sends messages it does not read the answers to");
      } else {
        ws.writeTextMessage(Protocol.error(requestId, ErrorCode.PROTOCOL_ERROR, text).encode());
      }
    }

    private void register(JsonObject message) {
      Registration checked = Registration.of(message);
      if (checked.code() != null) {
        reject(checked.code(), checked.problem());
        return;
      }
      registering = true;
      JsonObject registration = checked.registration()
        .put("connectionId", connectionId)
        .put("remoteAddress", String.valueOf(ws.remoteAddress()))
        .put("nonce", nonce);
      String name = registration.getString("clientId");
      // Whether the token is good is the registry's to weigh: the key an agent already enrolled needs none.
      Future<?> tokenChecked = checked.enrollmentToken() == null ? Future.succeededFuture()
        : vertx.eventBus().request(Addresses.ENROLLMENT_CHECK, new JsonObject().put("token", checked.enrollmentToken()))
          .map(ok -> registration.put("tokenValid", true))
          .recover(e -> e instanceof ReplyException r && r.failureCode() == ErrorCode.ENROLLMENT_REFUSED.busCode()
            ? Future.succeededFuture(registration.put("tokenValid", false)) : Future.failedFuture(e));
      tokenChecked.compose(v -> vertx.eventBus().<JsonObject>request(Addresses.REGISTRY_REGISTER, registration))
        .onSuccess(reply -> {
          clientId = name;
          boolean enrolled = "true".equals(reply.headers().get("enrolled"));
          if (enrolled) {
            identities.enrolled(ws.remoteAddress(), name);
          }
          if (closed) {
            onClose(); // the socket went away while the registry was answering
            return;
          }
          ws.writeTextMessage(Protocol.message(MessageType.REGISTER_ACK)
            .put("success", true)
            .put("protocolVersion", Protocol.VERSION)
            .put("heartbeatInterval", config.heartbeatInterval())
            .put("chunkSize", config.chunkSize())
            .put("chunkTimeout", config.chunkTimeout())
            .put("enrolled", enrolled)
            .put("message", "Registration successful").encode());
          List<JsonObject> commands = held;
          held = null;
          commands.forEach(this::send);
        })
        .onFailure(e -> {
          ErrorCode code = e instanceof ReplyException r && r.failureType() == ReplyFailure.RECIPIENT_FAILURE
            ? ErrorCode.fromBusCode(r.failureCode()) : ErrorCode.INTERNAL_ERROR;
          if (Protocol.closeCode(code) != Protocol.CLOSE_POLICY) {
            // not the agent it names: refused, and a live connection of that agent stays as it was
            identities.refused(ws.remoteAddress(), name, code);
            reject(code, e.getMessage());
          } else {
            reject(ErrorCode.INTERNAL_ERROR, "registration failed: " + e.getMessage());
          }
        });
    }

    /** Hands {@code frame} on to the orchestrator, or releases it. */
    private void onChunk(ByteBuf frame) {
      if (stopping) {
        frame.release();
        return;
      }
      if (clientId == null) {
        frame.release();
        reject(ErrorCode.PROTOCOL_ERROR, "binary frame before REGISTER");
        return;
      }
      vertx.eventBus().send(Addresses.DOWNLOADS_CHUNK, frame,
        new DeliveryOptions(chunkDelivery).addHeader("clientId", clientId));
    }

    private void broken(WebSocketCloseStatus status, String reason) {
      log.log(System.Logger.Level.WARNING, "Agent " + describe() + ": " + reason);
      ws.close((short) status.code(), status.reasonText());
    }

    private void reject(ErrorCode code, String text) {
      log.log(System.Logger.Level.WARNING, "Agent " + describe() + " rejected: " + text);
      ws.writeTextMessage(Protocol.error(null, code, text).encode());
      ws.close(Protocol.closeCode(code), code.name());
    }

    private void onClose() {
      closed = true;
      limits.release(ws.remoteAddress().hostAddress());
      outbound.unregister();
      // While the server stops, a running pull is to pause as SERVER_RESTARTED at the next start, not as if its agent
      // had left.
      if (clientId != null && !stopping) {
        vertx.eventBus().send(Addresses.REGISTRY_UNREGISTER, seen());
      }
    }

    private JsonObject seen() {
      return new JsonObject().put("clientId", clientId).put("connectionId", connectionId);
    }

    private String describe() {
      return (clientId == null ? "(unregistered)" : clientId) + " from " + ws.remoteAddress();
    }
  }
}
