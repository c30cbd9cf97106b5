package io.silentmode.server.download;

import io.netty.buffer.ByteBuf;
import io.silentmode.protocol.ErrorCode;
import io.silentmode.protocol.MessageType;
import io.silentmode.protocol.Protocol;
import io.silentmode.protocol.PullException;
import io.silentmode.server.Addresses;
import io.silentmode.server.ChunkCodec;
import io.silentmode.server.ReceivedChunk;
import io.silentmode.server.ServerConfig;
import io.silentmode.server.download.Pull.Status;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * Runs pulls: asks the agent for the file, then for chunks within a bounded window, hands each chunk to the
 * disk writer, retries failed or late chunks with exponential backoff, and publishes progress and outcome on
 * {@link Addresses#downloadEvents} (states and outcome also on {@link Addresses#DOWNLOADS_EVENTS}). At most one pull per agent runs at a time.
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
  private static final int QUEUE_TIMER = -3;
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);

  private static final long IDEMPOTENCY_TTL_MS = 24 * 3_600_000L;
  private static final long HOUR_MS = 3_600_000L;

  private final ServerConfig config;
  private final JobBook jobs = new JobBook();
  private final Idempotency idempotency = new Idempotency(IDEMPOTENCY_TTL_MS);

  public OrchestratorVerticle(ServerConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    EventBus bus = vertx.eventBus();
    return bus.<JsonArray>request(Addresses.STORE_JOB_LOAD, new JsonObject())
      .map(Message::body)
      .compose(records -> {
        restore(records);
        vertx.setPeriodic(HOUR_MS, t -> prune());
        return Future.all(List.of(
          bus.<JsonObject>consumer(Addresses.DOWNLOADS_START, this::start).completion(),
          bus.<JsonObject>consumer(Addresses.DOWNLOADS_RETRY, this::retry).completion(),
          bus.<JsonObject>consumer(Addresses.DOWNLOADS_GET, this::get).completion(),
          bus.<JsonObject>consumer(Addresses.DOWNLOADS_LIST, this::list).completion(),
          bus.<JsonObject>consumer(Addresses.DOWNLOADS_CANCEL, this::cancel).completion(),
          bus.<JsonObject>consumer(Addresses.DOWNLOADS_AGENT_MESSAGE, m -> onAgentMessage(m.body())).completion(),
          bus.<ByteBuf>localConsumer(Addresses.DOWNLOADS_CHUNK, this::onChunk).completion(),
          bus.<JsonObject>consumer(Addresses.REGISTRY_EVENTS, m -> onRegistryEvent(m.body())).completion(),
          bus.<JsonObject>consumer(Addresses.WEBHOOKS_EVENTS, m -> onWebhookEvent(m.body())).completion()));
      });
  }

  /**
   * Takes the stored jobs back. A pull that was running when the server stopped cannot continue (its chunk
   * state was in memory): it fails with SERVER_RESTARTED and can be retried. Queued jobs keep waiting.
   */
  private void restore(JsonArray records) {
    for (int i = 0; i < records.size(); i++) {
      Pull pull = Pull.fromRecord(records.getJsonObject(i));
      jobs.add(pull);
      idempotency.restore(pull.idempotencyKey, pull.requestId, pull.createdAt);
      if (pull.status == Status.IN_PROGRESS) {
        finish(pull, Status.FAILED, ErrorCode.SERVER_RESTARTED, "the server stopped while this pull ran; retry it");
      } else if (pull.status == Status.QUEUED) {
        armQueueTimer(pull);
      } else if (pull.webhook != null && Set.of("pending", "retrying").contains(pull.webhook.getString("status"))) {
        vertx.eventBus().send(Addresses.WEBHOOKS_RESUME, pull.toJson());
      }
    }
    prune();
    if (jobs.size() > 0) {
      log.log(System.Logger.Level.INFO, "Restored " + jobs.size() + " job records");
    }
  }

  // ---- requests from operators -------------------------------------------------------------------------

  private void start(Message<JsonObject> m) {
    JsonObject body = m.body();
    String key = body.getString("idempotencyKey");
    Pull pull = new Pull(UUID.randomUUID(), body.getString("clientId"), body.getString("path"),
      body.getString("callbackUrl"), key, null, Instant.now());
    if (key == null) {
      create(pull).onSuccess(job -> m.reply(job.toJson())).onFailure(e -> fail(m, PullException.of(e)));
      return;
    }
    UUID earlier = idempotency.claim(key);
    if (earlier != null) {
      replay(m, jobs.get(earlier.toString()), pull);
      return;
    }
    create(pull)
      .onSuccess(job -> {
        idempotency.bind(key, job.requestId, job.createdAt);
        m.reply(job.toJson());
      })
      .onFailure(e -> {
        idempotency.release(key);
        fail(m, PullException.of(e));
      });
  }

  /** The Stripe rules: the same request gets the same job; a different one under the same key is refused. */
  private void replay(Message<JsonObject> m, Pull earlier, Pull asked) {
    if (earlier == null) {
      fail(m, new PullException(ErrorCode.IDEMPOTENCY_KEY_IN_USE, "a request with Idempotency-Key '"
        + asked.idempotencyKey + "' is still being handled; retry in a moment"));
    } else if (!Objects.equals(earlier.clientId, asked.clientId) || !Objects.equals(earlier.path, asked.path)
      || !Objects.equals(earlier.callbackUrl, asked.callbackUrl)) {
      fail(m, new PullException(ErrorCode.IDEMPOTENCY_KEY_REUSED, "Idempotency-Key '" + asked.idempotencyKey
        + "' was used for a different request (job " + earlier.requestId + "); use a new key"));
    } else {
      m.reply(earlier.toJson(), new DeliveryOptions().addHeader("replayed", "true"));
    }
  }

  private void retry(Message<JsonObject> m) {
    Pull old = job(m);
    if (old == null) {
      return;
    }
    if (old.status != Status.FAILED && old.status != Status.CANCELLED) {
      fail(m, new PullException(ErrorCode.DOWNLOAD_NOT_RETRYABLE, "pull " + old.requestId + " is "
        + old.status.name().toLowerCase() + "; only failed or cancelled pulls can be retried"));
      return;
    }
    Pull pull = new Pull(UUID.randomUUID(), old.clientId, old.path, old.callbackUrl, null, old.requestId.toString(),
      Instant.now());
    create(pull).onSuccess(job -> m.reply(job.toJson())).onFailure(e -> fail(m, PullException.of(e)));
  }

  /**
   * Records a new job: started at once when its agent is connected and idle, queued when the agent is known but
   * offline. The future completes once the record is on disk (the first state event stores it), so an accepted
   * job survives a crash.
   */
  private Future<Pull> create(Pull pull) {
    return vertx.eventBus().<JsonObject>request(Addresses.REGISTRY_GET, new JsonObject().put("clientId", pull.clientId))
      .compose(reply -> {
        JsonObject agent = reply.body();
        boolean connected = agent.getBoolean("connected");
        Pull busy = jobs.activeOf(pull.clientId);
        if (connected && busy != null) {
          throw new PullException(ErrorCode.DOWNLOAD_IN_PROGRESS, "agent '" + pull.clientId
            + "' is already serving pull " + busy.requestId + "; wait for it or cancel it");
        }
        jobs.add(pull);
        Future<Void> recorded;
        if (connected) {
          reserve(pull, agent.getString("connectionId"));
          recorded = launch(pull);
        } else {
          pull.queuedUntil = pull.createdAt.plusMillis(config.queueTimeout());
          armQueueTimer(pull);
          recorded = publish(pull, "state");
        }
        return recorded.recover(e -> {
          finish(pull, Status.FAILED, ErrorCode.STORAGE_ERROR, e.getMessage());
          jobs.remove(pull);
          return Future.failedFuture(new PullException(ErrorCode.STORAGE_ERROR, "could not record the job: " + e.getMessage()));
        });
      })
      .map(recorded -> pull);
  }

  private void reserve(Pull pull, String connectionId) {
    jobs.start(pull, connectionId);
    cancelTimer(pull, QUEUE_TIMER);
  }

  /** Asks the agent for the file; the future is that of storing the job's new state. */
  private Future<Void> launch(Pull pull) {
    toAgent(pull, Protocol.message(MessageType.DOWNLOAD_REQUEST)
      .put("requestId", pull.requestId.toString())
      .put("filePath", pull.path)
      .put("chunkSize", config.chunkSize()));
    armAckTimer(pull);
    pull.timers.put(PULL_TIMER, vertx.setTimer(config.downloadTimeout(), t -> finish(pull, Status.FAILED, ErrorCode.DOWNLOAD_TIMEOUT,
      "the pull did not finish within DOWNLOAD_TIMEOUT (" + config.downloadTimeout() + " ms)")));
    return publish(pull, "state");
  }

  private void armQueueTimer(Pull pull) {
    long wait = Math.max(1, pull.queuedUntil.toEpochMilli() - System.currentTimeMillis());
    pull.timers.put(QUEUE_TIMER, vertx.setTimer(wait, t -> finish(pull, Status.FAILED, ErrorCode.CLIENT_NOT_CONNECTED,
      "agent '" + pull.clientId + "' did not connect within QUEUE_TIMEOUT (" + config.queueTimeout() + " ms)")));
  }

  /** The oldest queued pull of an agent that is connected and idle starts. */
  private void startNextQueued(String clientId, String connectionId) {
    if (jobs.activeOf(clientId) != null) {
      return;
    }
    jobs.oldestQueued(clientId).ifPresent(pull -> {
      reserve(pull, connectionId);
      launch(pull);
    });
  }

  private void get(Message<JsonObject> m) {
    Pull pull = job(m);
    if (pull != null) {
      m.reply(pull.toJson().put("seq", pull.seq));
    }
  }

  private void list(Message<JsonObject> m) {
    JsonObject q = m.body();
    JobBook.Page page;
    try {
      page = jobs.page(q.getString("clientId"), q.getString("status"), q.getInteger("limit", 50), q.getString("cursor"));
    } catch (IllegalArgumentException e) {
      fail(m, new PullException(ErrorCode.VALIDATION_FAILED, "cursor is not one this server gave out"));
      return;
    }
    JsonArray items = new JsonArray();
    page.items().forEach(p -> items.add(p.toJson()));
    m.reply(new JsonObject().put("items", items).put("nextCursor", page.nextCursor()));
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
    Pull pull = jobs.get(id);
    if (pull == null) {
      fail(m, new PullException(ErrorCode.DOWNLOAD_NOT_FOUND, "no pull with requestId '" + id + "'"));
    }
    return pull;
  }

  /** Drops finished jobs older than JOB_RETENTION, in memory and on disk; the pulled files stay. */
  private void prune() {
    List<Pull> old = jobs.prune(Instant.now().minusMillis(config.jobRetention()));
    idempotency.expire();
    if (old.isEmpty()) {
      return;
    }
    JsonArray ids = new JsonArray();
    old.forEach(p -> {
      idempotency.forget(p.idempotencyKey, p.requestId);
      ids.add(p.requestId.toString());
    });
    vertx.eventBus().request(Addresses.STORE_JOB_DELETE, new JsonObject().put("requestIds", ids))
      .onFailure(e -> log.log(System.Logger.Level.WARNING, "Could not delete old job records: " + e.getMessage()));
  }

  // ---- messages from agents ----------------------------------------------------------------------------

  private void onAgentMessage(JsonObject message) {
    if (message.getValue("requestId") == null && Protocol.typeOf(message) == MessageType.ERROR) {
      // about no pull: nothing to fail, but an operator may want to know
      log.log(System.Logger.Level.WARNING, "Agent '" + message.getString("clientId") + "' reported "
        + message.getString("code") + ": " + message.getString("message"));
      return;
    }
    Pull pull = jobs.active(message.getString("requestId"), message.getString("clientId"));
    if (pull == null || pull.committing) {
      return; // every chunk is in and checked: an ERROR now (the agent lost the file, say) changes nothing
    }
    MessageType type = Protocol.typeOf(message);
    if (type == MessageType.ERROR || !message.getBoolean("success", true).booleanValue()) {
      finish(pull, Status.FAILED, ErrorCode.parse(message.getString("code")),
        "agent '" + pull.clientId + "': " + message.getString("message"));
    } else if (pull.window == null && type == MessageType.DOWNLOAD_PREPARING) {
      armAckTimer(pull);
    } else if (pull.window == null && type == MessageType.DOWNLOAD_ACK) {
      cancelTimer(pull, STALL_TIMER);
      onAck(pull, message);
    }
  }

  /**
   * The agent hashes the whole file before its DOWNLOAD_ACK, minutes for several GB on a slow disk, so the wait for
   * the acknowledgement is no deadline but, like the wait for chunks, a limit on silence: CHUNK_TIMEOUT after the
   * request or the agent's last DOWNLOAD_PREPARING, which it sends at least every third of CHUNK_TIMEOUT meanwhile.
   * An agent that answers PINGs but never the request no longer holds its job for the whole DOWNLOAD_TIMEOUT.
   */
  private void armAckTimer(Pull pull) {
    cancelTimer(pull, STALL_TIMER);
    pull.timers.put(STALL_TIMER, vertx.setTimer(config.chunkTimeout(), t -> finish(pull, Status.FAILED,
      ErrorCode.DOWNLOAD_TIMEOUT, "agent '" + pull.clientId + "' neither acknowledged the request nor said it was "
        + "preparing the file within CHUNK_TIMEOUT (" + config.chunkTimeout() + " ms)")));
  }

  private void onAck(Pull pull, JsonObject message) {
    Acknowledgement ack;
    try {
      ack = Acknowledgement.of(message, config.chunkSize(), config.maxFileSize());
    } catch (PullException e) {
      finish(pull, Status.FAILED, e.code(), "agent '" + pull.clientId + "' sent a DOWNLOAD_ACK the server refuses: " + e.getMessage());
      return;
    }
    pull.acknowledged(ack.fileName(), ack.fileSize(), config.chunkSize(), ack.totalChunks(), ack.fileChecksum(),
      config.chunkWindow());
    JsonObject open = new JsonObject()
      .put("requestId", pull.requestId.toString())
      .put("finalName", pull.clientId + "-" + STAMP.format(pull.createdAt) + "-" + ack.safeName())
      .put("size", ack.fileSize())
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

  /** Hands the frame on to the disk writer, or releases it: see {@link ChunkCodec}. */
  private void onChunk(Message<ByteBuf> m) {
    ByteBuf frame = m.body();
    Pull pull = requestedPull(frame, m.headers().get("clientId"));
    if (pull == null) {
      frame.release();
      return;
    }
    int index = ReceivedChunk.index(frame);
    armStallTimer(pull);
    if (ReceivedChunk.payloadLength(frame) != pull.lengthOf(index)) {
      frame.release();
      chunkFailed(pull, index, "LENGTH_MISMATCH");
      return;
    }
    pull.window.writing(index);
    // The one disk writer may be busy with another pull's fsync of several GB, longer than the bus's default
    // 30 s: a write waits for it (DOWNLOAD_TIMEOUT still bounds the pull) rather than failing the pull.
    DeliveryOptions options = new DeliveryOptions().setLocalOnly(true).setCodecName(ChunkCodec.NAME)
      .setSendTimeout(config.downloadTimeout()).addHeader("requestId", pull.requestId.toString());
    vertx.eventBus().request(Addresses.STORAGE_WRITE, frame, options)
      .onSuccess(r -> chunkWritten(pull, index))
      .onFailure(e -> {
        if (e instanceof ReplyException r && r.failureType() == ReplyFailure.NO_HANDLERS) {
          frame.release(); // it never reached the disk writer, which releases every frame it gets
        }
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

  /** The pull a received frame belongs to, or null when it is malformed, late, a duplicate or never asked for. */
  private Pull requestedPull(ByteBuf frame, String clientId) {
    String malformed = ReceivedChunk.malformed(frame);
    if (malformed != null) {
      log.log(System.Logger.Level.WARNING, "Ignoring a frame from agent " + clientId + ": " + malformed);
      return null;
    }
    Pull pull = jobs.active(ReceivedChunk.requestId(frame).toString(), clientId);
    // the server only takes what it asked for
    return pull == null || pull.window == null || !pull.window.awaited(ReceivedChunk.index(frame)) ? null : pull;
  }

  private void onRegistryEvent(JsonObject event) {
    if ("connected".equals(event.getString("event"))) {
      startNextQueued(event.getString("clientId"), event.getString("connectionId"));
      return;
    }
    Pull pull = jobs.activeOf(event.getString("clientId"));
    if (pull != null && !pull.committing && "disconnected".equals(event.getString("event"))
      && pull.connectionId.equals(event.getString("connectionId"))) {
      finish(pull, Status.FAILED, ErrorCode.CLIENT_NOT_CONNECTED,
        "agent '" + pull.clientId + "' disconnected during the pull; retry when it is back");
    }
  }

  // ---- the chunk window --------------------------------------------------------------------------------

  /** Asks for every chunk that fits in the window, or commits when all are written. */
  private void advance(Pull pull) {
    if (pull.window.complete()) {
      commit(pull);
      return;
    }
    List<ChunkWindow.Range> ranges = pull.window.next();
    if (!ranges.isEmpty()) {
      armStallTimer(pull);
    }
    ranges.forEach(r -> toAgent(pull, Protocol.message(MessageType.REQUEST_CHUNKS)
      .put("requestId", pull.requestId.toString()).put("index", r.from()).put("count", r.count())));
  }

  private void chunkWritten(Pull pull, int index) {
    if (pull.terminal()) {
      return;
    }
    pull.window.written(index);
    pull.bytesDone += pull.lengthOf(index);
    long now = System.currentTimeMillis();
    if (now - pull.lastProgressMillis >= PROGRESS_INTERVAL_MS) {
      pull.lastProgressMillis = now;
      publish(pull, "progress");
    }
    advance(pull);
  }

  private void chunkFailed(Pull pull, int index, String reason) {
    int attempt = pull.window.failed(index);
    if (attempt > config.maxChunkRetryAttempts()) {
      finish(pull, Status.FAILED, ErrorCode.CHUNK_TRANSFER_FAILED, "chunk " + index + " of pull " + pull.requestId
        + " failed " + attempt + " times (last: " + reason + ")");
      return;
    }
    pull.retries++;
    long delay = config.chunkRetryDelay() << (attempt - 1);
    log.log(System.Logger.Level.INFO, "Pull " + pull.requestId + ": chunk " + index + " " + reason + ", retry "
      + attempt + " in " + delay + " ms");
    pull.timers.put(index, vertx.setTimer(delay, t -> {
      pull.timers.remove(index);
      int next = pull.window.retry(index);
      armStallTimer(pull);
      toAgent(pull, Protocol.message(MessageType.RETRY_CHUNK)
        .put("requestId", pull.requestId.toString()).put("index", index).put("count", 1)
        .put("attempt", next).put("reason", reason));
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
      for (int index : pull.window.awaitedChunks()) {
        if (pull.terminal()) {
          return;
        }
        chunkFailed(pull, index, "TIMEOUT");
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
    boolean started = pull.connectionId != null;
    boolean freed = jobs.end(pull, status);
    pull.errorCode = code;
    pull.errorMessage = message;
    pull.timers.values().forEach(vertx::cancelTimer);
    pull.timers.clear();
    if (pull.callbackUrl != null) {
      pull.webhook = new JsonObject().put("status", "pending").put("attempts", 0);
    }
    if (status == Status.COMPLETED) {
      toAgent(pull, Protocol.message(MessageType.DOWNLOAD_COMPLETE).put("requestId", pull.requestId.toString())
        .put("checksum", pull.file.getString("sha256")));
      log.log(System.Logger.Level.INFO, "Pull " + pull.requestId + " from " + pull.clientId + " completed: " + pull.file.getString("path"));
    } else {
      if (started) {
        toAgent(pull, Protocol.message(MessageType.CANCEL_DOWNLOAD).put("requestId", pull.requestId.toString())
          .put("reason", code == null ? "cancelled by operator" : code.name()));
      }
      abortStorage(pull);
      log.log(System.Logger.Level.WARNING, "Pull " + pull.requestId + " from " + pull.clientId + " "
        + status.name().toLowerCase() + (code == null ? "" : ": " + code + " " + message));
    }
    publish(pull, "final");
    if (freed) {
      vertx.eventBus().<JsonObject>request(Addresses.REGISTRY_GET, new JsonObject().put("clientId", pull.clientId))
        .onSuccess(agent -> {
          if (agent.body().getBoolean("connected")) {
            startNextQueued(pull.clientId, agent.body().getString("connectionId"));
          }
        });
    }
  }

  /** Shows on the job how its webhook delivery goes, as the webhook sender reports each attempt. */
  private void onWebhookEvent(JsonObject event) {
    Pull pull = jobs.get(event.getString("requestId"));
    if (pull == null) {
      return;
    }
    pull.webhook = new JsonObject()
      .put("status", event.getString("outcome"))
      .put("attempts", event.getInteger("attempt"))
      .put("lastStatusCode", event.getInteger("statusCode"))
      .put("lastError", event.getString("error"))
      .put("nextAttemptAt", event.getString("nextAttemptAt"))
      .put("updatedAt", event.getString("at"));
    save(pull);
  }

  private void abortStorage(Pull pull) {
    if (pull.storageOpen) {
      pull.storageOpen = false;
      vertx.eventBus().request(Addresses.STORAGE_ABORT, new JsonObject().put("requestId", pull.requestId.toString()));
    }
  }

  // ---- helpers ------------------------------------------------------------------------------------------

  private void toAgent(Pull pull, JsonObject message) {
    if (pull.connectionId != null) {
      vertx.eventBus().send(Addresses.gatewayConnection(pull.connectionId), message);
    }
  }

  /**
   * Events carry the job and a per-job sequence, the SSE event id. Every event goes to the job's own address; state
   * changes also go to the all-jobs one, and are stored: the future is that of the store's write (already complete
   * for progress, which is not stored).
   */
  private Future<Void> publish(Pull pull, String event) {
    pull.seq++;
    JsonObject body = pull.toJson().put("event", event).put("seq", pull.seq);
    vertx.eventBus().publish(Addresses.downloadEvents(pull.requestId.toString()), body);
    if ("progress".equals(event)) {
      return Future.succeededFuture();
    }
    vertx.eventBus().publish(Addresses.DOWNLOADS_EVENTS, body);
    return save(pull);
  }

  private Future<Void> save(Pull pull) {
    return vertx.eventBus().request(Addresses.STORE_JOB_SAVE, new JsonObject().put("job", pull.toRecord()))
      .<Void>mapEmpty()
      .onFailure(e -> log.log(System.Logger.Level.ERROR, "Could not store job " + pull.requestId + ": " + e.getMessage()));
  }

  private static void fail(Message<?> m, PullException e) {
    m.fail(e.code().busCode(), e.getMessage());
  }
}
