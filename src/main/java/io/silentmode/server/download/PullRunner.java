package io.silentmode.server.download;

import io.silentmode.protocol.ErrorCode;
import io.silentmode.protocol.MessageType;
import io.silentmode.protocol.Protocol;
import io.silentmode.protocol.PullException;
import io.silentmode.server.Addresses;
import io.silentmode.server.ServerConfig;
import io.silentmode.server.download.Pull.Status;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.EnumSet;
import java.util.Set;

/**
 * The life of a pull once it is recorded: queued until its agent is there, asked for (DOWNLOAD_REQUEST, again at
 * each resume), the acknowledgement awaited and checked against the version an earlier run fetched, the chunks
 * handed to {@link ChunkTransfer}, pauses handed to {@link Pauses}, and the end: completed, failed or cancelled,
 * told to the agent, the disk writer and everyone listening. Runs on the orchestrator's event loop.
 */
final class PullRunner {

  private static final System.Logger log = System.getLogger(PullRunner.class.getName());
  /** Failures after which the verified chunks are worth nothing to a retry, or must not hold the disk. */
  private static final Set<ErrorCode> DROPS_PARTS = EnumSet.of(ErrorCode.RESUME_TIMEOUT, ErrorCode.FILE_CHECKSUM_FAILED,
    ErrorCode.STORAGE_ERROR);
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);

  private final Vertx vertx;
  private final ServerConfig config;
  private final JobBook jobs;
  private final ChunkTransfer chunks;
  private final Pauses pauses;
  private final JobEvents events;
  private final Presence presence = new Presence();

  PullRunner(Vertx vertx, ServerConfig config, JobBook jobs) {
    this.vertx = vertx;
    this.config = config;
    this.jobs = jobs;
    this.events = new JobEvents(vertx, config.nodeName());
    this.chunks = new ChunkTransfer(vertx, config, jobs, this);
    this.pauses = new Pauses(vertx, config, jobs, this);
  }

  Pauses pauses() {
    return pauses;
  }

  JobEvents events() {
    return events;
  }

  /** Where the verticle hands chunk frames. */
  ChunkTransfer chunks() {
    return chunks;
  }

  /**
   * Starts a new job on {@code agent} (the registry's record) when it is connected and idle and a slot is free (at
   * most MAX_ACTIVE_PULLS run), else queues it for QUEUE_TIMEOUT. The future is that of storing its first state.
   */
  Future<Void> begin(Pull pull, JsonObject agent) {
    if (agent.getBoolean("connected")) {
      presence.connected(pull.clientId, agent.getString("connectionId"));
    }
    if (!pull.held && startable(pull)) {
      reserve(pull, presence.connectionOf(pull.clientId));
      // Its record first: a job the store cannot take must never reach its agent, however fast the agent would be.
      return events.save(pull).compose(v -> launch(pull));
    }
    // a held batch member waits for its batch, bounded by the batch's deadline only
    pull.queuedUntil = pull.deadline != null ? pull.deadline
      : pull.held ? null : pull.createdAt.plusMillis(config.queueTimeout());
    if (pull.queuedUntil != null) {
      armQueueTimer(pull);
    }
    return events.publish(pull, "state");
  }

  /**
   * Its batch lets a held member go: it joins the line for a slot, bounded by the batch's deadline or QUEUE_TIMEOUT
   * from now, and starts at once when it can.
   */
  void release(Pull pull) {
    jobs.release(pull);
    if (pull.queuedUntil == null) {
      pull.queuedUntil = Instant.now().plusMillis(config.queueTimeout());
      armQueueTimer(pull);
    }
    if (startable(pull)) {
      start(pull);
    } else {
      events.publish(pull, "state");
    }
  }

  /** Whether the pull's agent is connected and idle and a slot is free. */
  boolean startable(Pull pull) {
    return presence.isConnected(pull.clientId) && jobs.activeOf(pull.clientId) == null
      && jobs.activeCount() < config.maxActivePulls();
  }

  /** Starts waiting pulls, in {@link JobBook#next}'s order, while slots are free. */
  void fill() {
    while (jobs.activeCount() < config.maxActivePulls()) {
      Pull next = jobs.next(presence::isConnected).orElse(null);
      if (next == null) {
        return;
      }
      start(next);
    }
  }

  /** Why a job waits: its agent is away, busy, or every slot is taken. */
  Pull.PauseReason waitingFor(Pull pull) {
    return !presence.isConnected(pull.clientId) ? Pull.PauseReason.AGENT_DISCONNECTED
      : jobs.activeOf(pull.clientId) != null ? Pull.PauseReason.AGENT_BUSY : Pull.PauseReason.SERVER_BUSY;
  }

  /** Starts a queued or paused pull on its agent's connection; the future is that of storing its new state. */
  Future<Void> start(Pull pull) {
    reserve(pull, presence.connectionOf(pull.clientId));
    return launch(pull);
  }

  private void reserve(Pull pull, String connectionId) {
    jobs.start(pull, connectionId);
    cancelTimer(pull, Pull.QUEUE_TIMER);
    cancelTimer(pull, Pull.RESUME_TIMER);
  }

  /**
   * Asks the agent for the file, with the chunk size of the chunks a resumed pull already has; the future is that
   * of storing the job's new state.
   */
  private Future<Void> launch(Pull pull) {
    pull.run++;
    toAgent(pull, Protocol.message(MessageType.DOWNLOAD_REQUEST)
      .put("requestId", pull.requestId.toString())
      .put("filePath", pull.path)
      .put("chunkSize", chunkSizeOf(pull)));
    armAckTimer(pull);
    PullLog.started(log, pull);
    pull.timers.put(Pull.PULL_TIMER, vertx.setTimer(config.downloadTimeout(), t -> finish(pull, Status.FAILED, ErrorCode.DOWNLOAD_TIMEOUT,
      "the pull did not finish within DOWNLOAD_TIMEOUT (" + config.downloadTimeout() + " ms)")));
    return events.publish(pull, "state");
  }

  void armQueueTimer(Pull pull) {
    long wait = Math.max(1, pull.queuedUntil.toEpochMilli() - System.currentTimeMillis());
    pull.timers.put(Pull.QUEUE_TIMER, vertx.setTimer(wait, t -> {
      String limit = pull.deadline != null ? "until its batch's deadline (" + pull.deadline + ")"
        : "QUEUE_TIMEOUT (" + config.queueTimeout() + " ms)";
      if (presence.isConnected(pull.clientId)) {
        finish(pull, Status.FAILED, ErrorCode.QUEUE_TIMEOUT, "the pull waited " + limit + " for "
          + (pull.held ? "its batch to let it start (concurrency)"
          : waitingFor(pull) == Pull.PauseReason.AGENT_BUSY ? "agent '" + pull.clientId + "' to finish its other pull"
          : "one of the MAX_ACTIVE_PULLS (" + config.maxActivePulls() + ") slots"));
      } else {
        finish(pull, Status.FAILED, ErrorCode.CLIENT_NOT_CONNECTED, "agent '" + pull.clientId
          + "' did not connect " + (pull.deadline != null ? "before its batch's deadline (" + pull.deadline + ")"
          : "within QUEUE_TIMEOUT (" + config.queueTimeout() + " ms)"));
      }
    }));
  }

  private int chunkSizeOf(Pull pull) {
    return pull.parts && pull.chunkSize > 0 ? pull.chunkSize : config.chunkSize();
  }


  void onAgentMessage(JsonObject message) {
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
    boolean refused = type == MessageType.DOWNLOAD_ACK && !message.getBoolean("success", true);
    if (type == MessageType.ERROR || refused) {
      finish(pull, Status.FAILED, ErrorCode.parse(message.getString("code")),
        "agent '" + pull.clientId + "': " + message.getString("message"));
    } else if (pull.window == null && type == MessageType.DOWNLOAD_PREPARING) {
      armAckTimer(pull);
    } else if (pull.window == null && type == MessageType.DOWNLOAD_ACK) {
      cancelTimer(pull, Pull.STALL_TIMER);
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
    cancelTimer(pull, Pull.STALL_TIMER);
    pull.timers.put(Pull.STALL_TIMER, vertx.setTimer(config.chunkTimeout(), t -> finish(pull, Status.FAILED,
      ErrorCode.DOWNLOAD_TIMEOUT, "agent '" + pull.clientId + "' neither acknowledged the request nor said it was "
        + "preparing the file within CHUNK_TIMEOUT (" + config.chunkTimeout() + " ms)")));
  }

  /**
   * Checks the acknowledgement, then has the disk writer open the part files: new ones, or the kept ones of a resumed
   * pull whose file is still the version its chunks came from. A file that changed starts again from zero.
   */
  private void onAck(Pull pull, JsonObject message) {
    Acknowledgement ack;
    try {
      ack = Acknowledgement.of(message, chunkSizeOf(pull), config.maxFileSize());
    } catch (PullException e) {
      finish(pull, Status.FAILED, e.code(), "agent '" + pull.clientId + "' sent a DOWNLOAD_ACK the server refuses: " + e.getMessage());
      return;
    }
    boolean changed = pull.acknowledged(ack.fileName(), ack.fileSize(), chunkSizeOf(pull), ack.totalChunks(), ack.fileChecksum());
    if (changed && pull.parts) {
      pull.forgetChunks();
      PullLog.log(log, System.Logger.Level.INFO, pull, "Pull " + pull.requestId + ": the file changed on agent " + pull.clientId
        + " since its chunks were fetched; starting again from zero");
      events.publish(pull, "file_changed");
    }
    JsonObject open = new JsonObject()
      .put("partId", pull.partId)
      .put("finalName", pull.clientId + "-" + STAMP.format(pull.createdAt) + "-" + ack.safeName())
      .put("size", ack.fileSize())
      .put("chunkSize", pull.chunkSize)
      .put("totalChunks", pull.totalChunks)
      .put("sha256", ack.fileChecksum())
      .put("resume", pull.parts && !changed);
    // From the request on the part files count as the pull's: a pause or an end closes or drops them, after the open.
    pull.parts = true;
    pull.storageOpen = true;
    int run = pull.run;
    vertx.eventBus().<JsonObject>request(Addresses.STORAGE_OPEN, open, new DeliveryOptions().setSendTimeout(config.downloadTimeout()))
      .onSuccess(r -> {
        if (!pull.runs(run)) {
          return;
        }
        JsonObject published = r.body().getJsonObject("published");
        if (published != null) { // the server stopped between the rename and the record: the file is there
          pull.opened(pull.totalChunks, pull.size, config.chunkWindow());
          pull.parts = false;
          pull.storageOpen = false;
          pull.file = published;
          finish(pull, Status.COMPLETED, null, null);
          return;
        }
        pull.opened(r.body().getInteger("verifiedChunks"), r.body().getLong("verifiedBytes"), config.chunkWindow());
        events.publish(pull, "state");
        chunks.advance(pull);
      })
      .onFailure(e -> {
        if (pull.runs(run)) {
          finish(pull, Status.FAILED, PullException.of(e).code(), e.getMessage());
        }
      });
  }

  void onRegistryEvent(JsonObject event) {
    String clientId = event.getString("clientId");
    String connectionId = event.getString("connectionId");
    if ("connected".equals(event.getString("event"))) {
      presence.connected(clientId, connectionId);
      fill();
      return;
    }
    if (!"disconnected".equals(event.getString("event"))) {
      return;
    }
    presence.disconnected(clientId, connectionId);
    Pull pull = jobs.activeOf(clientId);
    if (pull != null && !pull.committing && pull.connectionId.equals(connectionId)) {
      pauses.pause(pull, Pull.PauseReason.AGENT_DISCONNECTED);
    }
  }

  void cancelTimer(Pull pull, int index) {
    Long timer = pull.timers.remove(index);
    if (timer != null) {
      vertx.cancelTimer(timer);
    }
  }

  void cancelTimers(Pull pull) {
    pull.timers.values().forEach(vertx::cancelTimer);
    pull.timers.clear();
  }

  void finish(Pull pull, Status status, ErrorCode code, String message) {
    end(pull, status, code, message, true);
  }

  /**
   * Ends a pull whose first record could not be stored. The operator's request failed with that, so the job never
   * existed for anyone: no event, no webhook, no record; the agent and the disk writer still let go of it.
   */
  void abandon(Pull pull) {
    end(pull, Status.FAILED, ErrorCode.STORAGE_ERROR, "the job could not be recorded", false);
  }

  private void end(Pull pull, Status status, ErrorCode code, String message, boolean announce) {
    if (pull.terminal()) {
      return;
    }
    boolean running = pull.status == Status.IN_PROGRESS;
    boolean freed = jobs.end(pull, status); // before the window goes: it freezes the rate
    pull.dropWindow();
    pull.errorCode = code;
    pull.errorMessage = message;
    cancelTimers(pull);
    if (announce && pull.callbackUrl != null) {
      pull.webhook = new JsonObject().put("status", "pending").put("attempts", 0);
    }
    if (status == Status.COMPLETED) {
      toAgent(pull, Protocol.message(MessageType.DOWNLOAD_COMPLETE).put("requestId", pull.requestId.toString())
        .put("checksum", pull.file.getString("sha256")));
    } else {
      if (running) {
        toAgent(pull, Protocol.message(MessageType.CANCEL_DOWNLOAD).put("requestId", pull.requestId.toString())
          .put("reason", code == null ? "cancelled by operator" : code.name()));
      }
      // A failure keeps the verified chunks for a retry, unless they are of a file that changed, their wait for a
      // resume ran out, the disk is what failed (a full one must not stay full), or the job is abandoned: it never
      // existed for anyone.
      pauses.releaseParts(pull, announce && status == Status.FAILED && !DROPS_PARTS.contains(code));
    }
    PullLog.ended(log, pull, code, message);
    if (announce) {
      events.publish(pull, "final");
    }
    if (freed) {
      fill();
    }
  }

  void toAgent(Pull pull, JsonObject message) {
    if (pull.connectionId != null) {
      vertx.eventBus().send(Addresses.gatewayConnection(pull.connectionId), message);
    }
  }

}
