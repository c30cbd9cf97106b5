package io.silentmode.agent;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.silentmode.protocol.ChunkFrame;
import io.silentmode.protocol.ErrorCode;
import io.silentmode.protocol.Labels;
import io.silentmode.protocol.MessageType;
import io.silentmode.protocol.Protocol;
import io.silentmode.protocol.PullException;
import io.silentmode.protocol.WebSocketOpcode;
import io.silentmode.tls.ServerTrust;
import io.silentmode.tls.TlsEngine;
import io.silentmode.vertx.VertxInternals;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

/**
 * The agent: dials the server, registers, answers heartbeats and serves the chunks the server asks for.
 * It reconnects with exponential backoff and jitter whenever the connection is lost or the server goes silent.
 * File work runs off the event loop: the file and its chunks are hashed once per version of the file, before the
 * DOWNLOAD_ACK or, once the file has stayed the same for PREHASH_DELAY, ahead of any pull ({@link DigestKeeper});
 * chunks are then read in request order into reused direct buffers.
 */
public class AgentVerticle extends VerticleBase {

  public static final String VERSION = "0.1.0";
  private static final System.Logger log = System.getLogger(AgentVerticle.class.getName());
  private static final long MAX_RECONNECT_DELAY_MS = 60_000;
  private static final long CLOSE_TIMEOUT_MS = 5_000;
  /**
   * Chunk messages go out in WebSocket frames of this size. Whole-chunk frames of 1 MiB made Netty on both ends
   * allocate, zero and grow buffers beyond its pools for every chunk; 64 KiB frames stay inside them.
   */
  static final int WIRE_FRAME_SIZE = 64 * 1024;

  private final AgentConfig config;
  /** How a {@code wss://} server is verified; a {@code ws://} URL has nothing to verify. */
  private final ServerTrust trust;
  private final JsonObject labels;
  private final Promise<Void> gaveUp = Promise.promise();
  private final Map<String, Serving> serving = new HashMap<>();
  /** The served file's digests, kept per version and computed ahead of pulls. */
  private DigestKeeper digests;
  /** The server's CHUNK_SIZE, from REGISTER_ACK and each DOWNLOAD_REQUEST: what a hash ahead of a pull needs. */
  private int chunkSize;
  /** The served file's version at the last look, to hash it ahead once it stays the same between two looks. */
  private FileVersion lastSeen;
  /** Chunk frames as read from the file, and as encoded for the wire; kept while the chunk size stays the same. */
  private FramePool reads;
  private FramePool wires;
  /** Requests whose file is still being opened and hashed; a cancel meanwhile removes the id. */
  private final Set<String> opening = new HashSet<>();
  private WebSocketClient client;
  private WebSocket ws;
  /** Where the agent's messages, framed and masked by {@link MaskedMessage}, are written: the connection's pipeline. */
  private ChannelHandlerContext wire;
  private int failedAttempts;
  private long watchdog = -1;
  private long heartbeatInterval = 30_000;
  /** How often to say DOWNLOAD_PREPARING while a request is being opened and hashed; 0 when the server never said. */
  private long preparingInterval;
  private boolean stopping;

  /** An agent that checks a {@code wss://} server against the JVM's trust store. */
  public AgentVerticle(AgentConfig config) {
    this(config, Map.of(), ServerTrust.system());
  }

  /** An agent that reports {@code labels} when it registers. */
  public AgentVerticle(AgentConfig config, Map<String, String> labels) {
    this(config, labels, ServerTrust.system());
  }

  /** An agent that checks a {@code wss://} server as {@code trust} says. */
  public AgentVerticle(AgentConfig config, ServerTrust trust) {
    this(config, Map.of(), trust);
  }

  public AgentVerticle(AgentConfig config, Map<String, String> labels, ServerTrust trust) {
    this.config = config;
    this.trust = trust;
    this.labels = Labels.toJson(labels);
    String wrong = Labels.problem(this.labels);
    if (wrong != null) {
      throw new IllegalArgumentException(wrong); // the server would refuse every REGISTER
    }
  }

  /** Fails once MAX_RECONNECT_ATTEMPTS were used up; never completes otherwise. */
  public Future<Void> gaveUp() {
    return gaveUp.future();
  }

  @Override
  public Future<?> start() {
    digests = new DigestKeeper(vertx, this::onHashed);
    client = vertx.createWebSocketClient(clientOptions());
    connect();
    if (config.prehashDelay() > 0) {
      vertx.setPeriodic(config.prehashDelay(), t -> lookAtServedFile());
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    closeAll();
    digests.giveUp();
    // A close frame waits behind the chunks already written; on a link that no longer moves them, give up on it.
    return ws == null ? client.close()
      : ws.close().timeout(CLOSE_TIMEOUT_MS, TimeUnit.MILLISECONDS).eventually(client::close);
  }

  private void connect() {
    WebSocketConnectOptions options = new WebSocketConnectOptions().setAbsoluteURI(config.serverUrl());
    client.connect(options)
      .onSuccess(this::opened)
      .onFailure(e -> {
        // A server that fails verification is never retried in plain text: only the same URL, later.
        String tls = trust.describeFailure(e);
        log.log(System.Logger.Level.WARNING, tls != null ? "Refusing " + config.serverUrl() + ": " + tls
          : "Cannot reach " + config.serverUrl() + ": " + e.getMessage());
        reconnectLater();
      });
  }

  private void opened(WebSocket socket) {
    ws = socket;
    wire = VertxInternals.pipelineOf(socket);
    armWatchdog(); // a REGISTER whose answer never comes leaves a link as dead as one that stops carrying PINGs
    socket.textMessageHandler(this::onText);
    socket.closeHandler(v -> {
      log.log(closeLevel(socket.closeStatusCode()), "Connection to " + config.serverUrl() + " closed"
        + (socket.closeStatusCode() == null ? "" : " (" + socket.closeStatusCode() + ")")
        + (socket.closeReason() == null ? "" : ": " + socket.closeReason()));
      ws = null;
      wire = null;
      vertx.cancelTimer(watchdog);
      closeAll();
      reconnectLater();
    });
    send(Protocol.register(config.clientId(), VERSION, new JsonObject()
      .put("os", System.getProperty("os.name"))
      .put("filePath", config.filePath()), labels));
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

  private void reconnectLater() {
    if (stopping) {
      return;
    }
    failedAttempts++;
    if (config.maxReconnectAttempts() > 0 && failedAttempts > config.maxReconnectAttempts()) {
      gaveUp.tryFail("gave up after " + config.maxReconnectAttempts() + " reconnect attempts to " + config.serverUrl());
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
      case REGISTER_ACK -> registered(message);
      case PING -> {
        armWatchdog();
        send(Protocol.pong(message));
      }
      case DOWNLOAD_REQUEST -> downloadRequested(message);
      case REQUEST_CHUNKS -> chunksRequested(message, false);
      case RETRY_CHUNK -> chunksRequested(message, true);
      case DOWNLOAD_COMPLETE -> release(message.getString("requestId"));
      case CANCEL_DOWNLOAD -> cancelled(message);
      case ERROR -> serverError(message);
      default -> log.log(System.Logger.Level.DEBUG, "Ignoring " + type);
    }
  }

  private void registered(JsonObject ack) {
    failedAttempts = 0;
    heartbeatInterval = ack.getLong("heartbeatInterval", 30_000L);
    // A server that states its CHUNK_TIMEOUT understands DOWNLOAD_PREPARING; to any other it would be unknown.
    preparingInterval = ack.getValue("chunkTimeout") instanceof Number timeout && timeout.longValue() >= 3
      ? timeout.longValue() / 3 : 0;
    if (ack.getValue("chunkSize") instanceof Number size && size.longValue() > 0
      && size.longValue() <= Protocol.MAX_CHUNK_SIZE) {
      chunkSize = size.intValue(); // for hashing ahead; each DOWNLOAD_REQUEST says it again
    }
    armWatchdog();
    log.log(System.Logger.Level.INFO, "Registered with " + config.serverUrl() + " as " + config.clientId()
      + (ws != null && ws.isSsl() ? ", " + ws.sslSession().getProtocol() + " " + ws.sslSession().getCipherSuite()
        + " by " + TlsEngine.describe() : ""));
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
      if (wire != null) {
        // No close handshake: on a half-open socket the close frame would wait forever behind unsent chunks. From
        // Vert.x's own handler on, not through it: its close waits 10 s for a link that no longer moves.
        wire.close();
      }
    });
  }

  private void downloadRequested(JsonObject request) {
    String requestId = request.getString("requestId");
    int asked = request.getInteger("chunkSize", 0);
    // The server runs one pull per agent: a new request means any other pull is over on its side.
    closeAll();
    opening.add(requestId);
    keepPreparing(requestId);
    vertx.executeBlocking(() -> {
        opening(requestId);
        if (asked <= 0 || asked > Protocol.MAX_CHUNK_SIZE) {
          throw new PullException(ErrorCode.PROTOCOL_ERROR, "chunkSize " + asked + " is outside 1.." + Protocol.MAX_CHUNK_SIZE);
        }
        return ServedFile.open(Path.of(config.filePath()), request.getString("filePath"), asked);
      })
      .onSuccess(file -> {
        chunkSize = asked;
        digests.forPull(file).onComplete(hashed -> acknowledge(requestId, file, hashed));
      })
      .onFailure(e -> {
        if (opening.remove(requestId)) {
          sendError(requestId, e);
        }
      });
  }

  /**
   * Tells the server, every third of its CHUNK_TIMEOUT, that the request is still being opened and hashed: the
   * server fails a pull that stays silent for CHUNK_TIMEOUT before its DOWNLOAD_ACK.
   */
  private void keepPreparing(String requestId) {
    if (preparingInterval == 0) {
      return;
    }
    vertx.setPeriodic(preparingInterval, timer -> {
      if (opening.contains(requestId)) {
        send(Protocol.message(MessageType.DOWNLOAD_PREPARING).put("requestId", requestId));
      } else {
        vertx.cancelTimer(timer);
      }
    });
  }

  /** Called on a worker thread as a requested file is about to be opened and hashed; tests make it slow here. */
  protected void opening(String requestId) {
  }

  private void acknowledge(String requestId, ServedFile file, AsyncResult<FileDigests> hashed) {
    if (!opening.remove(requestId)) {
      close(file); // cancelled, or the connection went, while the file was hashed
    } else if (hashed.failed()) {
      close(file);
      sendError(requestId, hashed.cause());
    } else {
      release(requestId); // a repeated request for the same pull replaces the first
      serving.put(requestId, servingOf(UUID.fromString(requestId), file, hashed.result()));
      send(Protocol.message(MessageType.DOWNLOAD_ACK)
        .put("requestId", requestId)
        .put("success", true)
        .put("fileName", file.fileName)
        .put("fileSize", file.size)
        .put("totalChunks", file.totalChunks)
        .put("fileChecksum", hashed.result().fileSha256()));
    }
  }

  /** A pull to serve, with the frame buffers of earlier pulls while the chunk size stays the same. */
  private Serving servingOf(UUID requestId, ServedFile file, FileDigests announced) {
    if (reads == null || reads.size() != file.frameSize()) {
      reads = new FramePool(file.frameSize());
      wires = new FramePool(MaskedMessage.encodedLength(file.frameSize(), WIRE_FRAME_SIZE));
    }
    return new Serving(requestId, file, announced, reads, wires);
  }

  /**
   * Reads and sends the chunks asked for, in order. A chunk asked for again is rehashed first: if the file changed
   * since its digests were computed, the pull fails at once instead of after every retry.
   * <p>
   * The worker that reads a chunk also frames and masks it ({@link MaskedMessage}), and the frames are written to
   * the connection's pipeline below Vert.x's WebSocket, which would frame and mask them again. The agent's text
   * messages go the same way ({@link #send}), so every message leaves in the order it was written: a PONG queued
   * behind Vert.x's writes while chunks went past them could wait out a whole pull on a slow link, and the server
   * would drop the agent for missing heartbeats. Only control frames (close, and pongs to WebSocket pings) go
   * through Vert.x. The server's window bounds what is written and not yet sent.
   */
  private void chunksRequested(JsonObject request, boolean again) {
    String requestId = request.getString("requestId");
    Serving pull = serving.get(requestId);
    if (pull == null) {
      return; // cancelled meanwhile
    }
    int from = request.getInteger("index", -1);
    int count = request.getInteger("count", 1);
    if (from < 0 || count < 1 || (long) from + count > pull.file.totalChunks) {
      // A count the server never sends, bounded before one read is queued for it.
      sendError(requestId, new PullException(ErrorCode.PROTOCOL_ERROR, "chunks " + from + " to " + ((long) from + count - 1)
        + " are not all within 0.." + (pull.file.totalChunks - 1)));
      return;
    }
    for (int index = from; index < from + count; index++) {
      int i = index;
      vertx.executeBlocking(() -> pull.file.released() ? null : pull.read(i, again, this::prepare))
        .onSuccess(message -> {
          if (message == null) {
            return;
          }
          if (wire == null || pull.file.released()) {
            pull.wires.give(message);
            return;
          }
          // Wrapping the buffer copies nothing; a failed write means the connection is going anyway.
          wire.writeAndFlush(Unpooled.wrappedBuffer(message)).addListener(written -> pull.wires.give(message));
        })
        .onFailure(e -> {
          if (e instanceof PullException p && p.code() == ErrorCode.FILE_CHECKSUM_FAILED) {
            digests.forget();
          }
          sendError(requestId, e);
        });
    }
  }

  /**
   * Hashes the served file ahead of a pull once it has stayed the same version between two looks, PREHASH_DELAY
   * apart, and the server has said its chunk size. Only while no pull is being served: a pull of another version
   * needs the cores, and one of this version has hashed it already.
   */
  private void lookAtServedFile() {
    if (stopping || chunkSize == 0 || !serving.isEmpty() || !opening.isEmpty()) {
      return;
    }
    int size = chunkSize;
    vertx.executeBlocking(() -> {
        try {
          return ServedFile.open(Path.of(config.filePath()), null, size);
        } catch (PullException e) {
          return null; // not there, or not readable: a pull will say so
        }
      })
      .onSuccess(file -> {
        FileVersion seen = lastSeen;
        lastSeen = file == null ? null : file.version();
        if (file == null) {
          return;
        }
        if (stopping || !file.version().equals(seen) || !serving.isEmpty() || !opening.isEmpty()) {
          file.release(); // still changing, or a pull came meanwhile
        }
        digests.ahead(file).onFailure(e -> log.log(System.Logger.Level.DEBUG, "No hash ahead: " + e.getMessage()));
      });
  }

  private void onHashed(ServedFile file, boolean ahead) {
    if (ahead) {
      log.log(System.Logger.Level.INFO, "Hashed " + file.path + " (" + file.size + " bytes) ahead of a pull");
    }
    hashed(ahead);
  }

  /** Called on the event loop each time the served file was hashed, {@code ahead} of a pull or for one (tests). */
  protected void hashed(boolean ahead) {
  }

  /** The connection's options; tests override them to give the agent a small socket send buffer, as a slow link does. */
  protected WebSocketClientOptions clientOptions() {
    return trust.configure(new WebSocketClientOptions())
      .setMaxFrameSize(WIRE_FRAME_SIZE)
      .setMaxMessageSize(Protocol.MAX_CHUNK_SIZE + ChunkFrame.HEADER_SIZE);
  }

  /**
   * A chunk frame about to be sent, or null to send nothing; runs on a worker thread.
   * Tests override it to simulate a faulty link or a file that changes under the agent.
   */
  protected ByteBuffer prepare(int index, ByteBuffer frame) {
    return frame;
  }

  /** The server found the file it received differs from the digest announced: that digest must not be reused. */
  private void cancelled(JsonObject cancel) {
    if (ErrorCode.FILE_CHECKSUM_FAILED.name().equals(cancel.getString("reason"))) {
      digests.forget();
    }
    release(cancel.getString("requestId"));
  }

  private void sendError(String requestId, Throwable e) {
    PullException failure = PullException.of(e);
    log.log(System.Logger.Level.WARNING, "Pull " + requestId + ": " + failure.code() + " " + failure.getMessage());
    release(requestId);
    send(Protocol.error(requestId, failure.code(), failure.getMessage()));
  }

  private void release(String requestId) {
    opening.remove(requestId);
    Serving pull = serving.remove(requestId);
    if (pull != null) {
      close(pull.file);
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

  /** A pull being served: its open file, the digests announced for it, and its frame buffers. */
  private record Serving(UUID requestId, ServedFile file, FileDigests digests, FramePool reads, FramePool wires) {

    /** Runs on a worker thread: the chunk's message, framed and masked, or null if {@code prepare} dropped it. */
    ByteBuffer read(int index, boolean recheck, BiFunction<Integer, ByteBuffer, ByteBuffer> prepare) {
      ByteBuffer frame = reads.take(file.frameLength(index));
      try {
        file.readFrame(requestId, index, frame, digests.chunk(index), recheck);
        ByteBuffer prepared = prepare.apply(index, frame);
        if (prepared == null) {
          return null;
        }
        ByteBuffer message = wires.take(MaskedMessage.encodedLength(prepared.remaining(), WIRE_FRAME_SIZE));
        MaskedMessage.encode(WebSocketOpcode.BINARY, prepared, message, WIRE_FRAME_SIZE);
        return message;
      } finally {
        reads.give(frame);
      }
    }
  }

  /**
   * Sends a protocol message (a JSON text frame) the way chunks go, so that it leaves in order among them. It is
   * framed from direct buffers, as chunks are: with heap buffers here, the masking loop saw two buffer types, and C2
   * compiled it for both without vector instructions. The agent then spent 1.4 s of CPU per GiB instead of 0.9.
   */
  private void send(JsonObject message) {
    if (wire != null) {
      byte[] bytes = message.encode().getBytes(StandardCharsets.UTF_8);
      ByteBuffer text = ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
      ByteBuffer encoded = ByteBuffer.allocateDirect(MaskedMessage.encodedLength(text.remaining(), WIRE_FRAME_SIZE));
      MaskedMessage.encode(WebSocketOpcode.TEXT, text, encoded, WIRE_FRAME_SIZE);
      wire.writeAndFlush(Unpooled.wrappedBuffer(encoded));
    }
  }
}
