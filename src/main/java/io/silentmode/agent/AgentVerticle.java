package io.silentmode.agent;

import io.silentmode.protocol.ErrorCode;
import io.silentmode.protocol.Labels;
import io.silentmode.protocol.MessageType;
import io.silentmode.protocol.Protocol;
import io.silentmode.protocol.PullException;
import io.silentmode.tls.ServerTrust;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The agent: serves the chunks the server asks for, over the connection {@link AgentConnection} keeps (it proves
 * the agent's identity, answers heartbeats and reconnects).
 * File work runs off the event loop: the file and its chunks are hashed once per version of the file, before the
 * DOWNLOAD_ACK or, once the file has stayed the same for PREHASH_DELAY, ahead of any pull ({@link DigestKeeper});
 * chunks are then read in request order into reused direct buffers.
 */
public class AgentVerticle extends VerticleBase {

  public static final String VERSION = "0.1.0";
  private static final System.Logger log = System.getLogger(AgentVerticle.class.getName());
  /**
   * Chunk messages go out in WebSocket frames of this size. Whole-chunk frames of 1 MiB made Netty on both ends
   * allocate, zero and grow buffers beyond its pools for every chunk; 64 KiB frames stay inside them.
   */
  static final int WIRE_FRAME_SIZE = 64 * 1024;
  /** The largest message the agent takes from a server (docs/PROTOCOL.md §2). */
  static final int MAX_SERVER_MESSAGE = 64 * 1024;

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
  private Serving.Pools pools;
  /** Requests whose file is still being opened and hashed; a cancel meanwhile removes the id. */
  private final Set<String> opening = new HashSet<>();
  private AgentConnection connection;
  /** How often to say DOWNLOAD_PREPARING while a request is being opened and hashed; 0 when the server never said. */
  private long preparingInterval;

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

  /** Loads the identity from the state file (or makes the key to enroll), then dials. */
  @Override
  public Future<?> start() {
    digests = new DigestKeeper(vertx, this::onHashed);
    return vertx.executeBlocking(() -> AgentIdentity.load(config.clientId(),
        config.stateFile() == null ? null : Path.of(config.stateFile()), config.enrollmentToken()))
      .onSuccess(identity -> {
        connection = new AgentConnection(vertx, config, trust, labels, identity, clientOptions(), pulls());
        connection.gaveUp().onFailure(gaveUp::tryFail);
        connection.start();
        if (config.prehashDelay() > 0) {
          vertx.setPeriodic(config.prehashDelay(), t -> lookAtServedFile());
        }
      });
  }

  @Override
  public Future<?> stop() {
    closeAll();
    digests.giveUp();
    return connection == null ? Future.succeededFuture() : connection.stop();
  }

  /** What the connection hands on once registered: the pulls. */
  private AgentConnection.Listener pulls() {
    return new AgentConnection.Listener() {
      @Override
      public void registered(JsonObject ack) {
        onRegistered(ack);
      }

      @Override
      public void message(MessageType type, JsonObject message) {
        onMessage(type, message);
      }

      @Override
      public void closed() {
        closeAll();
      }
    };
  }

  private void onMessage(MessageType type, JsonObject message) {
    switch (type) {
      case DOWNLOAD_REQUEST -> downloadRequested(message);
      case REQUEST_CHUNKS -> chunksRequested(message, false);
      case RETRY_CHUNK -> chunksRequested(message, true);
      case DOWNLOAD_COMPLETE -> release(message.getString("requestId"));
      case CANCEL_DOWNLOAD -> cancelled(message);
      default -> log.log(System.Logger.Level.DEBUG, "Ignoring " + type);
    }
  }

  private void onRegistered(JsonObject ack) {
    // A server that states its CHUNK_TIMEOUT understands DOWNLOAD_PREPARING; to any other it would be unknown.
    preparingInterval = ack.getValue("chunkTimeout") instanceof Number timeout && timeout.longValue() >= 3
      ? timeout.longValue() / 3 : 0;
    if (ack.getValue("chunkSize") instanceof Number size && size.longValue() > 0
      && size.longValue() <= Protocol.MAX_CHUNK_SIZE) {
      chunkSize = size.intValue(); // for hashing ahead; each DOWNLOAD_REQUEST says it again
    }
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
    if (pools == null || !pools.fit(file)) {
      pools = new Serving.Pools(file);
    }
    return new Serving(requestId, file, announced, pools);
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
    if (from < 0 || count < 1 || (long) from + count > pull.file().totalChunks) {
      // A count the server never sends, bounded before one read is queued for it.
      sendError(requestId, new PullException(ErrorCode.PROTOCOL_ERROR, "chunks " + from + " to " + ((long) from + count - 1)
        + " are not all within 0.." + (pull.file().totalChunks - 1)));
      return;
    }
    for (int index = from; index < from + count; index++) {
      int i = index;
      vertx.executeBlocking(() -> pull.file().released() ? null : pull.read(i, again, this::prepare))
        .onSuccess(message -> pull.write(message, connection.wire()))
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
    if (connection.stopping() || chunkSize == 0 || !serving.isEmpty() || !opening.isEmpty()) {
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
        if (connection.stopping() || !file.version().equals(seen) || !serving.isEmpty() || !opening.isEmpty()) {
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
      // The server sends control messages alone, each well under this: a larger one closes the connection.
      .setMaxMessageSize(MAX_SERVER_MESSAGE);
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
      close(pull.file());
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
    connection.send(message);
  }
}
