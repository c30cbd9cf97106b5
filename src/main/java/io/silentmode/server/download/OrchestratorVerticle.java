package io.silentmode.server.download;

import io.silentmode.protocol.ChunkFrame;
import io.silentmode.protocol.ErrorCode;
import io.silentmode.protocol.MessageType;
import io.silentmode.protocol.Protocol;
import io.silentmode.protocol.PullException;
import io.silentmode.server.Addresses;
import io.silentmode.server.ChunkCodec;
import io.silentmode.server.ServerConfig;
import io.silentmode.server.download.Pull.Chunk;
import io.silentmode.server.download.Pull.Status;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Runs pulls: asks the agent for the file, then for chunks within a bounded window, hands each chunk to the
 * disk writer, retries failed or late chunks with exponential backoff, and publishes progress and outcome on
 * {@link Addresses#DOWNLOADS_EVENTS}. At most one pull per agent runs at a time.
 * <p>
 * The window is what gives backpressure end to end: a chunk is asked for only when one inside the window has
 * been written, so a slow disk slows the agent instead of filling memory.
 */
public class OrchestratorVerticle extends VerticleBase {

  private static final System.Logger log = System.getLogger(OrchestratorVerticle.class.getName());
  private static final long PROGRESS_INTERVAL_MS = 250;
  /** Keys of the pull-wide timers among a pull's timers, which are otherwise retry backoffs keyed by chunk index. */
  private static final int PULL_TIMER = -1;
  private static final int STALL_TIMER = -2;
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);

  private final ServerConfig config;
  private final Map<UUID, Pull> jobs = new HashMap<>();
  private final Map<String, Pull> activeByClient = new HashMap<>();

  public OrchestratorVerticle(ServerConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    EventBus bus = vertx.eventBus();
    return Future.all(
      bus.<JsonObject>consumer(Addresses.DOWNLOADS_START, this::start).completion(),
      bus.<JsonObject>consumer(Addresses.DOWNLOADS_GET, this::get).completion(),
      bus.<JsonObject>consumer(Addresses.DOWNLOADS_CANCEL, this::cancel).completion(),
      bus.<JsonObject>consumer(Addresses.DOWNLOADS_AGENT_MESSAGE, m -> onAgentMessage(m.body())).completion(),
      bus.<Buffer>localConsumer(Addresses.DOWNLOADS_CHUNK, this::onChunk).completion(),
      bus.<JsonObject>consumer(Addresses.REGISTRY_EVENTS, m -> onRegistryEvent(m.body())).completion());
  }

  // ---- requests from operators -------------------------------------------------------------------------

  private void start(Message<JsonObject> m) {
    String clientId = m.body().getString("clientId");
    String path = m.body().getString("path");
    vertx.eventBus().<JsonObject>request(Addresses.REGISTRY_GET, new JsonObject().put("clientId", clientId))
      .map(reply -> begin(reply.body(), path))
      .onSuccess(pull -> m.reply(pull.toJson()))
      .onFailure(e -> fail(m, PullException.of(e)));
  }

  private Pull begin(JsonObject agent, String path) {
    String clientId = agent.getString("clientId");
    if (!agent.getBoolean("connected")) {
      throw new PullException(ErrorCode.CLIENT_NOT_CONNECTED, "agent '" + clientId + "' is not connected (last seen "
        + agent.getString("lastSeen") + ")");
    }
    Pull busy = activeByClient.get(clientId);
    if (busy != null) {
      throw new PullException(ErrorCode.DOWNLOAD_IN_PROGRESS, "agent '" + clientId + "' is already serving pull "
        + busy.requestId + "; wait for it or cancel it");
    }
    Pull pull = new Pull(UUID.randomUUID(), clientId, agent.getString("connectionId"), path);
    jobs.put(pull.requestId, pull);
    activeByClient.put(clientId, pull);
    toAgent(pull, Protocol.message(MessageType.DOWNLOAD_REQUEST)
      .put("requestId", pull.requestId.toString())
      .put("filePath", path)
      .put("chunkSize", config.chunkSize()));
    // No shorter deadline for the acknowledgement: the agent hashes the whole file first, minutes for several GB
    // on a slow disk. A dead agent is caught sooner by the heartbeat.
    pull.timers.put(PULL_TIMER, vertx.setTimer(config.downloadTimeout(), t -> finish(pull, Status.FAILED, ErrorCode.DOWNLOAD_TIMEOUT,
      "the pull did not finish within DOWNLOAD_TIMEOUT (" + config.downloadTimeout() + " ms)")));
    publish(pull, "state");
    return pull;
  }

  private void get(Message<JsonObject> m) {
    Pull pull = job(m);
    if (pull != null) {
      m.reply(pull.toJson());
    }
  }

  private void cancel(Message<JsonObject> m) {
    Pull pull = job(m);
    if (pull == null) {
      return;
    }
    if (pull.terminal() || pull.committing) {
      fail(m, new PullException(ErrorCode.DOWNLOAD_NOT_ACTIVE, "pull " + pull.requestId + " is already "
        + (pull.committing && !pull.terminal() ? "being published" : pull.status.name().toLowerCase())));
      return;
    }
    finish(pull, Status.CANCELLED, null, null);
    m.reply(pull.toJson());
  }

  private Pull job(Message<JsonObject> m) {
    String id = m.body().getString("requestId");
    Pull pull = null;
    try {
      pull = jobs.get(UUID.fromString(id));
    } catch (IllegalArgumentException | NullPointerException e) {
      // falls through to not found
    }
    if (pull == null) {
      fail(m, new PullException(ErrorCode.DOWNLOAD_NOT_FOUND, "no pull with requestId '" + id + "'"));
    }
    return pull;
  }

  // ---- messages from agents ----------------------------------------------------------------------------

  private void onAgentMessage(JsonObject message) {
    Pull pull = activePull(message.getString("requestId"), message.getString("clientId"));
    if (pull == null) {
      return;
    }
    if (Protocol.typeOf(message) == MessageType.ERROR || !message.getBoolean("success", true).booleanValue()) {
      finish(pull, Status.FAILED, ErrorCode.parse(message.getString("code")),
        "agent '" + pull.clientId + "': " + message.getString("message"));
    } else if (pull.chunks == null) {
      onAck(pull, message);
    }
  }

  private void onAck(Pull pull, JsonObject ack) {
    String problem = invalidAck(ack);
    if (problem != null) {
      finish(pull, Status.FAILED, ErrorCode.PROTOCOL_ERROR, "agent '" + pull.clientId + "' sent a bad DOWNLOAD_ACK: " + problem);
      return;
    }
    long size = ack.getLong("fileSize");
    String fileName = ack.getString("fileName");
    pull.acknowledged(fileName == null || fileName.isBlank() ? "file" : fileName, size, config.chunkSize(), ack.getInteger("totalChunks"),
      ack.getString("fileChecksum"));
    JsonObject open = new JsonObject()
      .put("requestId", pull.requestId.toString())
      .put("finalName", finalName(pull))
      .put("size", size)
      .put("chunkSize", pull.chunkSize)
      .put("totalChunks", pull.totalChunks);
    vertx.eventBus().request(Addresses.STORAGE_OPEN, open)
      .onSuccess(r -> {
        pull.storageOpen = true;
        if (pull.terminal()) {
          abortStorage(pull);
        } else {
          publish(pull, "state");
          advance(pull);
        }
      })
      .onFailure(e -> finish(pull, Status.FAILED, PullException.of(e).code(), e.getMessage()));
  }

  private String invalidAck(JsonObject ack) {
    try {
      Long size = ack.getLong("fileSize");
      Integer total = ack.getInteger("totalChunks");
      String sha = ack.getString("fileChecksum");
      if (size == null || size < 0) {
        return "fileSize missing or negative";
      }
      long expectedChunks = (size + config.chunkSize() - 1) / config.chunkSize();
      if (total == null || total != expectedChunks) {
        return "totalChunks " + total + " does not match fileSize " + size + " in chunks of " + config.chunkSize();
      }
      if (sha == null || !sha.matches("[0-9a-fA-F]{64}")) {
        return "fileChecksum is not a hex SHA-256";
      }
      return null;
    } catch (ClassCastException e) {
      return "a field has the wrong type";
    }
  }

  private void onChunk(Message<Buffer> m) {
    Buffer frame = m.body();
    String malformed = ChunkFrame.malformed(frame);
    if (malformed != null) {
      log.log(System.Logger.Level.WARNING, "Ignoring a frame from agent " + m.headers().get("clientId") + ": " + malformed);
      return;
    }
    Pull pull = activePull(ChunkFrame.requestId(frame).toString(), m.headers().get("clientId"));
    int index = ChunkFrame.index(frame);
    if (pull == null || pull.chunks == null || index < 0 || index >= pull.totalChunks || pull.chunks[index] != Chunk.REQUESTED) {
      return; // late, duplicate or never asked for: the server only takes what it asked for
    }
    armStallTimer(pull);
    if (ChunkFrame.payloadLength(frame) != pull.lengthOf(index)) {
      chunkFailed(pull, index, "LENGTH_MISMATCH");
      return;
    }
    pull.chunks[index] = Chunk.WRITING;
    DeliveryOptions options = new DeliveryOptions().setLocalOnly(true).setCodecName(ChunkCodec.NAME)
      .addHeader("requestId", pull.requestId.toString());
    vertx.eventBus().request(Addresses.STORAGE_WRITE, frame, options)
      .onSuccess(r -> chunkWritten(pull, index))
      .onFailure(e -> {
        PullException failure = PullException.of(e);
        if (pull.terminal()) {
          return;
        }
        if (failure.code() == ErrorCode.CHUNK_CHECKSUM_FAILED) {
          chunkFailed(pull, index, ErrorCode.CHUNK_CHECKSUM_FAILED.name());
        } else {
          finish(pull, Status.FAILED, failure.code(), failure.getMessage());
        }
      });
  }

  private void onRegistryEvent(JsonObject event) {
    Pull pull = activeByClient.get(event.getString("clientId"));
    if (pull != null && !pull.committing && "disconnected".equals(event.getString("event"))
      && pull.connectionId.equals(event.getString("connectionId"))) {
      finish(pull, Status.FAILED, ErrorCode.CLIENT_NOT_CONNECTED,
        "agent '" + pull.clientId + "' disconnected during the pull; retry when it is back");
    }
  }

  // ---- the chunk window --------------------------------------------------------------------------------

  /** Asks for every chunk that fits in the window, or commits when all are written. */
  private void advance(Pull pull) {
    if (pull.chunksDone == pull.totalChunks) {
      commit(pull);
      return;
    }
    int from = pull.nextToRequest;
    int until = Math.min(pull.totalChunks, pull.lowestNotDone + config.chunkWindow());
    if (from >= until) {
      return;
    }
    for (int i = from; i < until; i++) {
      pull.chunks[i] = Chunk.REQUESTED;
      pull.attempts[i] = 1;
    }
    armStallTimer(pull);
    pull.nextToRequest = until;
    toAgent(pull, Protocol.message(MessageType.REQUEST_CHUNKS)
      .put("requestId", pull.requestId.toString()).put("index", from).put("count", until - from));
  }

  private void chunkWritten(Pull pull, int index) {
    if (pull.terminal()) {
      return;
    }
    pull.chunks[index] = Chunk.DONE;
    pull.chunksDone++;
    pull.bytesDone += pull.lengthOf(index);
    while (pull.lowestNotDone < pull.totalChunks && pull.chunks[pull.lowestNotDone] == Chunk.DONE) {
      pull.lowestNotDone++;
    }
    long now = System.currentTimeMillis();
    if (now - pull.lastProgressMillis >= PROGRESS_INTERVAL_MS) {
      pull.lastProgressMillis = now;
      publish(pull, "progress");
    }
    advance(pull);
  }

  private void chunkFailed(Pull pull, int index, String reason) {
    int attempt = pull.attempts[index];
    if (attempt > config.maxChunkRetryAttempts()) {
      finish(pull, Status.FAILED, ErrorCode.CHUNK_TRANSFER_FAILED, "chunk " + index + " of pull " + pull.requestId
        + " failed " + attempt + " times (last: " + reason + ")");
      return;
    }
    pull.retries++;
    pull.chunks[index] = Chunk.BACKOFF;
    long delay = config.chunkRetryDelay() << (attempt - 1);
    log.log(System.Logger.Level.INFO, "Pull " + pull.requestId + ": chunk " + index + " " + reason + ", retry "
      + attempt + " in " + delay + " ms");
    pull.timers.put(index, vertx.setTimer(delay, t -> {
      pull.timers.remove(index);
      pull.chunks[index] = Chunk.REQUESTED;
      pull.attempts[index] = attempt + 1;
      armStallTimer(pull);
      toAgent(pull, Protocol.message(MessageType.RETRY_CHUNK)
        .put("requestId", pull.requestId.toString()).put("index", index).put("count", 1)
        .put("attempt", attempt + 1).put("reason", reason));
    }));
  }

  /**
   * CHUNK_TIMEOUT measures silence, not the age of a request: a slow link that keeps delivering is never timed
   * out, while a lost frame is noticed once the window has drained behind it. Every chunk still awaited then
   * counts as a failed attempt.
   */
  private void armStallTimer(Pull pull) {
    cancelTimer(pull, STALL_TIMER);
    pull.timers.put(STALL_TIMER, vertx.setTimer(config.chunkTimeout(), t -> {
      pull.timers.remove(STALL_TIMER);
      for (int i = pull.lowestNotDone; i < pull.nextToRequest && !pull.terminal(); i++) {
        if (pull.chunks[i] == Chunk.REQUESTED) {
          chunkFailed(pull, i, "TIMEOUT");
        }
      }
    }));
  }

  private void cancelTimer(Pull pull, int index) {
    Long timer = pull.timers.remove(index);
    if (timer != null) {
      vertx.cancelTimer(timer);
    }
  }

  /** From here the disk writer may publish the file at any moment, so nothing but its answer ends the pull. */
  private void commit(Pull pull) {
    pull.committing = true;
    cancelTimer(pull, PULL_TIMER);
    cancelTimer(pull, STALL_TIMER);
    JsonObject req = new JsonObject().put("requestId", pull.requestId.toString()).put("sha256", pull.agentSha256);
    // fsync of a multi-GB file can take longer than the bus's default 30 s reply timeout.
    DeliveryOptions slow = new DeliveryOptions().setSendTimeout(config.downloadTimeout());
    vertx.eventBus().<JsonObject>request(Addresses.STORAGE_COMMIT, req, slow)
      .onSuccess(r -> {
        pull.storageOpen = false;
        pull.file = r.body();
        finish(pull, Status.COMPLETED, null, null);
      })
      .onFailure(e -> {
        pull.storageOpen = false;
        PullException failure = PullException.of(e);
        finish(pull, Status.FAILED, failure.code(), failure.getMessage());
      });
  }

  // ---- ending a pull -----------------------------------------------------------------------------------

  private void finish(Pull pull, Status status, ErrorCode code, String message) {
    if (pull.terminal()) {
      return;
    }
    pull.status = status;
    pull.finishedAt = Instant.now();
    pull.errorCode = code;
    pull.errorMessage = message;
    pull.timers.values().forEach(vertx::cancelTimer);
    pull.timers.clear();
    activeByClient.remove(pull.clientId, pull);
    if (status == Status.COMPLETED) {
      toAgent(pull, Protocol.message(MessageType.DOWNLOAD_COMPLETE).put("requestId", pull.requestId.toString())
        .put("checksum", pull.file.getString("sha256")));
      log.log(System.Logger.Level.INFO, "Pull " + pull.requestId + " from " + pull.clientId + " completed: " + pull.file.getString("path"));
    } else {
      toAgent(pull, Protocol.message(MessageType.CANCEL_DOWNLOAD).put("requestId", pull.requestId.toString())
        .put("reason", code == null ? "cancelled by operator" : code.name()));
      abortStorage(pull);
      log.log(System.Logger.Level.WARNING, "Pull " + pull.requestId + " from " + pull.clientId + " "
        + status.name().toLowerCase() + (code == null ? "" : ": " + code + " " + message));
    }
    publish(pull, "final");
  }

  private void abortStorage(Pull pull) {
    if (pull.storageOpen) {
      pull.storageOpen = false;
      vertx.eventBus().request(Addresses.STORAGE_ABORT, new JsonObject().put("requestId", pull.requestId.toString()));
    }
  }

  // ---- helpers ------------------------------------------------------------------------------------------

  private Pull activePull(String requestId, String clientId) {
    Pull pull = activeByClient.get(clientId);
    return pull != null && pull.requestId.toString().equals(requestId) ? pull : null;
  }

  private void toAgent(Pull pull, JsonObject message) {
    vertx.eventBus().send(Addresses.gatewayConnection(pull.connectionId), message);
  }

  private void publish(Pull pull, String event) {
    vertx.eventBus().publish(Addresses.DOWNLOADS_EVENTS, pull.toJson().put("event", event));
  }

  private static void fail(Message<?> m, PullException e) {
    m.fail(e.code().busCode(), e.getMessage());
  }

  /** {@code <clientId>-<UTC timestamp>-<agent's file name>}, reduced to characters safe in any file system. */
  private static String finalName(Pull pull) {
    String name = pull.fileName.replaceAll("[^A-Za-z0-9._-]", "_").replaceAll("^\\.+", "_");
    return pull.clientId + "-" + STAMP.format(pull.createdAt) + "-" + name;
  }
}
