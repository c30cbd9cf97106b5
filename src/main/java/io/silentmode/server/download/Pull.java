package io.silentmode.server.download;

import io.silentmode.protocol.ErrorCode;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/** One pull: its job record and, while it runs, the state of each chunk. Owned by the orchestrator alone. */
final class Pull {

  enum Status { QUEUED, IN_PROGRESS, PAUSED, COMPLETED, FAILED, CANCELLED }

  /** Why a pull is paused. All but an operator's pause end by themselves, once the agent is there and idle. */
  enum PauseReason {
    AGENT_DISCONNECTED, SERVER_RESTARTED, OPERATOR, AGENT_BUSY, SERVER_BUSY;

    boolean automatic() {
      return this != OPERATOR;
    }
  }

  /** Which waiting pulls start first; declared from first to last. */
  enum Priority { HIGH, NORMAL, LOW }

  /** Keys of the pull-wide timers among {@link #timers}, which are otherwise retry backoffs keyed by chunk index. */
  static final int PULL_TIMER = -1;
  static final int STALL_TIMER = -2;
  static final int QUEUE_TIMER = -3;
  /** A paused pull gives up, or a failed one drops the part files it kept for a retry. */
  static final int RESUME_TIMER = -4;
  /** A rate limit held chunks back: ask again when it allows one more. */
  static final int PACE_TIMER = -5;

  final UUID requestId;
  final String clientId;
  final String path;
  final String callbackUrl;
  final String idempotencyKey;
  final String retryOf;
  final Instant createdAt;
  Priority priority = Priority.NORMAL;
  Status status = Status.QUEUED;
  /** The batch this job is a member of, or null. */
  String batchId;
  /**
   * A batch member its batch has not let go yet: queued, but out of the line for a slot, so that the batch alone
   * decides how many of its members run (see BatchVerticle).
   */
  boolean held;
  /** Its batch's deadline: when a member that has not started gives up, instead of QUEUE_TIMEOUT. */
  Instant deadline;
  /** The agent connection serving the pull, once it started. */
  String connectionId;
  Instant startedAt;
  Instant finishedAt;
  /** When a queued pull gives up waiting for its agent. */
  Instant queuedUntil;
  /** Sequence of the events published about this job: the SSE event id. */
  long seq;
  PauseReason pausedReason;
  /** When a paused pull gives up (RESUME_TIMEOUT). */
  Instant pausedUntil;
  /** How many times the pull continued after a pause. */
  int resumes;
  /**
   * The name of the part files the pull writes into, on disk while {@link #parts}: the job's own id, or that of the
   * failed job it retries, whose verified chunks it takes over.
   */
  String partId;
  /** Part files of this pull are on disk, open or kept. */
  boolean parts;
  /** When a failed pull's kept part files go, unless a retry takes them over first. */
  Instant partsKeptUntil;
  /** Counts the runs of the pull (each DOWNLOAD_REQUEST): an answer about an earlier run is stale. */
  int run;

  // Known once the agent acknowledged the request.
  String fileName;
  long size = -1;
  int chunkSize;
  int totalChunks;
  String agentSha256;
  /** The chunks asked for and done, from the acknowledgement on. */
  ChunkWindow window;
  /** MAX_PULL_RATE for this run. */
  RateLimit rateLimit;
  /** Retry backoff timers by chunk index (so within the window), plus the pull-wide timers under negative keys. */
  final Map<Integer, Long> timers = new HashMap<>();
  /** Chunks done of a pull restored from its record, which has no window. */
  private int restoredChunksDone;
  long bytesDone;
  /** Chunk payload bytes received, whether written, re-sent or refused. */
  long bytesReceived;
  int retries;
  long transferStartNanos;
  /** The bytes done when the transfer (re)started: the rate counts only what came since. */
  long transferStartBytes;
  /** The average rate of a finished pull, frozen when it ended. */
  Long finalRate;
  long lastProgressMillis;
  long lastSaveMillis;
  boolean storageOpen;
  /** Every byte is written and the disk writer is verifying and publishing the file. */
  boolean committing;

  JsonObject file;
  ErrorCode errorCode;
  String errorMessage;
  JsonObject webhook;

  Pull(UUID requestId, String clientId, String path, String callbackUrl, String idempotencyKey, String retryOf,
       Instant createdAt) {
    this.requestId = requestId;
    this.clientId = clientId;
    this.path = path;
    this.callbackUrl = callbackUrl;
    this.idempotencyKey = idempotencyKey;
    this.retryOf = retryOf;
    this.createdAt = createdAt;
    this.partId = requestId.toString();
  }

  /**
   * A job as {@link #toRecord()} stored it. Which chunks are done is not in it: the part files say, and a resumed
   * pull reads them back.
   */
  static Pull fromRecord(JsonObject r) {
    Pull pull = new Pull(UUID.fromString(r.getString("requestId")), r.getString("clientId"), r.getString("path"),
      r.getString("callbackUrl"), r.getString("idempotencyKey"), r.getString("retryOf"), r.getInstant("createdAt"));
    pull.status = Status.valueOf(r.getString("status").toUpperCase());
    pull.priority = Priority.valueOf(r.getString("priority", "normal").toUpperCase(Locale.ROOT));
    pull.batchId = r.getString("batchId");
    pull.held = r.getBoolean("held", false);
    pull.deadline = r.getInstant("deadline");
    pull.startedAt = r.getInstant("startedAt");
    pull.finishedAt = r.getInstant("finishedAt");
    pull.queuedUntil = r.getInstant("queuedUntil");
    pull.seq = r.getLong("seq", 0L);
    pull.fileName = r.getString("fileName");
    // null, not absent, in the record of a job whose agent never acknowledged (a queued one)
    pull.size = Objects.requireNonNullElse(r.getLong("size"), -1L);
    pull.chunkSize = r.getInteger("chunkSize", 0);
    pull.agentSha256 = r.getString("fileSha256");
    pull.totalChunks = Objects.requireNonNullElse(r.getInteger("totalChunks"), 0);
    pull.restoredChunksDone = r.getInteger("chunksDone", 0);
    pull.bytesDone = r.getLong("bytesDone", 0L);
    pull.retries = r.getInteger("retries", 0);
    pull.bytesReceived = r.getLong("bytesReceived", 0L);
    pull.resumes = r.getInteger("resumes", 0);
    String reason = r.getString("pausedReason");
    pull.pausedReason = reason == null ? null : PauseReason.valueOf(reason);
    pull.pausedUntil = r.getInstant("pausedUntil");
    pull.partId = r.getString("partId", pull.partId);
    pull.parts = r.getBoolean("parts", false);
    pull.partsKeptUntil = r.getInstant("partsKeptUntil");
    pull.finalRate = r.getLong("bytesPerSecond");
    pull.file = r.getJsonObject("file");
    pull.webhook = r.getJsonObject("webhook");
    JsonObject error = r.getJsonObject("error");
    if (error != null) {
      pull.errorCode = ErrorCode.parse(error.getString("code"));
      pull.errorMessage = error.getString("message");
    }
    return pull;
  }

  /** The file the agent announced, for this run; returns whether it is another version than an earlier run's. */
  boolean acknowledged(String fileName, long size, int chunkSize, int totalChunks, String sha256) {
    boolean changed = agentSha256 != null && (this.size != size || this.chunkSize != chunkSize
      || !agentSha256.equalsIgnoreCase(sha256));
    this.fileName = fileName;
    this.size = size;
    this.chunkSize = chunkSize;
    this.totalChunks = totalChunks;
    this.agentSha256 = sha256;
    return changed;
  }

  /** The part files are open with their first {@code verified} chunks done: the chunks can flow. */
  void opened(int verified, long verifiedBytes, int chunkWindow) {
    BitSet done = new BitSet(totalChunks);
    done.set(0, verified);
    window = new ChunkWindow(totalChunks, chunkWindow, done);
    bytesDone = verifiedBytes;
    transferStartNanos = System.nanoTime();
    transferStartBytes = verifiedBytes;
  }

  /** Forgets the chunks of a version that is gone. */
  void forgetChunks() {
    restoredChunksDone = 0;
    bytesDone = 0;
  }

  /** Leaves the chunk state of a run that stopped; the chunks done stay counted. */
  void dropWindow() {
    if (window != null) {
      restoredChunksDone = window.doneCount();
      window = null;
    }
    rateLimit = null;
    transferStartNanos = 0;
  }

  int chunksDone() {
    return window == null ? restoredChunksDone : window.doneCount();
  }

  boolean terminal() {
    return status == Status.COMPLETED || status == Status.FAILED || status == Status.CANCELLED;
  }

  /** Whether a message or a reply of run {@code run} still concerns the pull. */
  boolean runs(int run) {
    return status == Status.IN_PROGRESS && this.run == run;
  }

  int lengthOf(int index) {
    return index == totalChunks - 1 ? (int) (size - (long) index * chunkSize) : chunkSize;
  }

  void ended(Status status) {
    this.status = status;
    this.finishedAt = Instant.now();
    this.finalRate = transferStartNanos == 0 ? finalRate : Long.valueOf((long) bytesPerSecond());
  }

  private double bytesPerSecond() {
    double seconds = (System.nanoTime() - transferStartNanos) / 1e9;
    return transferStartNanos == 0 || seconds <= 0 ? 0 : (bytesDone - transferStartBytes) / seconds;
  }

  /** The job as the API shows it. */
  JsonObject toJson() {
    boolean running = status == Status.IN_PROGRESS;
    double rate = running ? bytesPerSecond() : 0;
    JsonObject json = new JsonObject()
      .put("requestId", requestId.toString())
      .put("clientId", clientId)
      .put("path", path)
      .put("callbackUrl", callbackUrl)
      .put("retryOf", retryOf)
      .put("batchId", batchId)
      .put("priority", priority.name().toLowerCase(Locale.ROOT))
      .put("status", status.name().toLowerCase())
      .put("createdAt", createdAt.toString())
      .put("startedAt", stamp(startedAt))
      .put("finishedAt", stamp(finishedAt))
      .put("queuedUntil", status == Status.QUEUED ? stamp(queuedUntil) : null)
      .put("pausedReason", status == Status.PAUSED ? pausedReason.name() : null)
      .put("pausedUntil", status == Status.PAUSED ? stamp(pausedUntil) : null)
      .put("fileName", fileName)
      .put("size", size < 0 ? null : size)
      .put("totalChunks", size < 0 ? null : totalChunks)
      .put("chunksDone", chunksDone())
      .put("bytesDone", bytesDone)
      .put("retries", retries)
      .put("resumes", resumes)
      .put("bytesReceived", bytesReceived)
      .put("bytesResent", Math.max(0, bytesReceived - bytesDone))
      .put("bytesPerSecond", running ? Long.valueOf((long) rate) : finalRate)
      .put("etaSeconds", running && rate > 0 && size >= 0 ? (long) Math.ceil((size - bytesDone) / rate) : null)
      .put("file", file)
      .put("webhook", webhook);
    if (errorCode != null) {
      json.put("error", new JsonObject().put("code", errorCode.name()).put("message", errorMessage)
        .put("retryable", errorCode.retryable()));
    }
    return json;
  }

  /** What the store keeps: the job plus what the server alone needs back after a restart. */
  JsonObject toRecord() {
    return toJson().put("idempotencyKey", idempotencyKey).put("seq", seq).put("held", held).put("deadline", stamp(deadline))
      .put("queuedUntil", stamp(queuedUntil))
      .put("chunkSize", chunkSize).put("fileSha256", agentSha256)
      .put("partId", partId).put("parts", parts).put("partsKeptUntil", stamp(partsKeptUntil));
  }

  private static String stamp(Instant instant) {
    return instant == null ? null : instant.toString();
  }
}
