package io.silentmode.agent;

import io.silentmode.protocol.ErrorCode;
import io.silentmode.protocol.MessageType;
import io.silentmode.protocol.Protocol;
import io.silentmode.protocol.PullException;
import io.vertx.core.AsyncResult;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Serves the pulls the server asks for on the agent's connection: opens the served file for each DOWNLOAD_REQUEST (the
 * file policy is {@link ServedFile#open}'s), hashes it or takes the digests kept ({@link DigestKeeper}), and reads,
 * frames and sends the chunks asked for. File work runs on worker threads; everything else on the event loop.
 */
final class PullServer implements AgentConnection.Listener {

  private static final System.Logger log = System.getLogger(PullServer.class.getName());

  /** Its test hooks: {@link AgentVerticle#opening} and {@link AgentVerticle#prepare}. */
  private final AgentVerticle agent;
  private final Vertx vertx;
  private final Path servedFile;
  private final DigestKeeper digests;
  private final Map<String, Serving> serving = new HashMap<>();
  /** Requests whose file is still being opened and hashed; a cancel meanwhile removes the id. */
  private final Set<String> opening = new HashSet<>();
  private AgentConnection connection;
  /** The server's CHUNK_SIZE, from REGISTER_ACK and each DOWNLOAD_REQUEST: what a hash ahead of a pull needs. */
  private int chunkSize;
  /** Chunk frames as read from the file, and as encoded for the wire; kept while the chunk size stays the same. */
  private Serving.Pools pools;
  /** How often to say DOWNLOAD_PREPARING while a request is being opened and hashed; 0 when the server never said. */
  private long preparingInterval;

  PullServer(AgentVerticle agent, Vertx vertx, Path servedFile, DigestKeeper digests) {
    this.agent = agent;
    this.vertx = vertx;
    this.servedFile = servedFile;
    this.digests = digests;
  }

  /** The connection answers go over; set once, before it dials. */
  void over(AgentConnection connection) {
    this.connection = connection;
  }

  /** The chunk size to hash ahead with; 0 until the server said one. */
  int chunkSize() {
    return chunkSize;
  }

  /** Whether a pull is being opened or served. */
  boolean busy() {
    return !serving.isEmpty() || !opening.isEmpty();
  }

  @Override
  public void message(MessageType type, JsonObject message) {
    switch (type) {
      case DOWNLOAD_REQUEST -> downloadRequested(message);
      case REQUEST_CHUNKS -> chunksRequested(message, false);
      case RETRY_CHUNK -> chunksRequested(message, true);
      case DOWNLOAD_COMPLETE -> release(message.getString("requestId"));
      case CANCEL_DOWNLOAD -> cancelled(message);
      default -> log.log(System.Logger.Level.DEBUG, "Ignoring " + type);
    }
  }

  @Override
  public void registered(JsonObject ack) {
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
    closed();
    opening.add(requestId);
    keepPreparing(requestId);
    vertx.executeBlocking(() -> {
        agent.opening(requestId);
        if (asked <= 0 || asked > Protocol.MAX_CHUNK_SIZE) {
          throw new PullException(ErrorCode.PROTOCOL_ERROR, "chunkSize " + asked + " is outside 1.." + Protocol.MAX_CHUNK_SIZE);
        }
        return ServedFile.open(servedFile, request.getString("filePath"), asked);
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
   * messages go the same way ({@link AgentConnection#send}), so every message leaves in the order it was written: a PONG queued
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
      vertx.executeBlocking(() -> pull.file().released() ? null : pull.read(i, again, agent::prepare))
        .onSuccess(message -> pull.write(message, connection.wire()))
        .onFailure(e -> {
          if (e instanceof PullException p && p.code() == ErrorCode.FILE_CHECKSUM_FAILED) {
            digests.forget();
          }
          sendError(requestId, e);
        });
    }
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

  /** The connection is gone, or the agent stops: every pull is over. */
  @Override
  public void closed() {
    opening.clear();
    serving.keySet().stream().toList().forEach(this::release);
  }

  private void send(JsonObject message) {
    connection.send(message);
  }
}
