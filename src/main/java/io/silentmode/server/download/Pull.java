package io.silentmode.server.download;

import io.silentmode.protocol.ErrorCode;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/** One pull: its job record and, while it runs, the state of each chunk. Owned by the orchestrator alone. */
final class Pull {

  enum Status { QUEUED, IN_PROGRESS, COMPLETED, FAILED, CANCELLED }

  /** Keys of the pull-wide timers among {@link #timers}, which are otherwise retry backoffs keyed by chunk index. */
  static final int PULL_TIMER = -1;
  static final int STALL_TIMER = -2;
  static final int QUEUE_TIMER = -3;

  final UUID requestId;
  final String clientId;
  final String path;
  final String callbackUrl;
  final String idempotencyKey;
  final String retryOf;
  final Instant createdAt;
  Status status = Status.QUEUED;
  /** The agent connection serving the pull, once it started. */
  String connectionId;
  Instant startedAt;
  Instant finishedAt;
  /** When a queued pull gives up waiting for its agent. */
  Instant queuedUntil;
  /** Sequence of the events published about this job: the SSE event id. */
  long seq;

  // Known once the agent acknowledged the request.
  String fileName;
  long size = -1;
  int chunkSize;
  int totalChunks;
  String agentSha256;
  /** The chunks asked for and done, from the acknowledgement on. */
  ChunkWindow window;
  /** Retry backoff timers by chunk index (so within the window), plus the pull-wide timers under negative keys. */
  final Map<Integer, Long> timers = new HashMap<>();
  /** Chunks done of a pull restored from its record, which has no window. */
  private int restoredChunksDone;
  long bytesDone;
  int retries;
  long transferStartNanos;
  /** The average rate of a finished pull, frozen when it ended. */
  Long finalRate;
  long lastProgressMillis;
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
  }

  /** A job as {@link #toRecord()} stored it; chunk state is not kept, as a stored pull never resumes. */
  static Pull fromRecord(JsonObject r) {
    Pull pull = new Pull(UUID.fromString(r.getString("requestId")), r.getString("clientId"), r.getString("path"),
      r.getString("callbackUrl"), r.getString("idempotencyKey"), r.getString("retryOf"), r.getInstant("createdAt"));
    pull.status = Status.valueOf(r.getString("status").toUpperCase());
    pull.startedAt = r.getInstant("startedAt");
    pull.finishedAt = r.getInstant("finishedAt");
    pull.queuedUntil = r.getInstant("queuedUntil");
    pull.seq = r.getLong("seq", 0L);
    pull.fileName = r.getString("fileName");
    pull.size = r.getLong("size", -1L);
    pull.totalChunks = r.getInteger("totalChunks", 0);
    pull.restoredChunksDone = r.getInteger("chunksDone", 0);
    pull.bytesDone = r.getLong("bytesDone", 0L);
    pull.retries = r.getInteger("retries", 0);
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

  void acknowledged(String fileName, long size, int chunkSize, int totalChunks, String sha256, int chunkWindow) {
    this.fileName = fileName;
    this.size = size;
    this.chunkSize = chunkSize;
    this.totalChunks = totalChunks;
    this.agentSha256 = sha256;
    this.window = new ChunkWindow(totalChunks, chunkWindow, new BitSet());
    this.transferStartNanos = System.nanoTime();
  }

  int chunksDone() {
    return window == null ? restoredChunksDone : window.doneCount();
  }

  boolean terminal() {
    return status != Status.IN_PROGRESS && status != Status.QUEUED;
  }

  int lengthOf(int index) {
    return index == totalChunks - 1 ? (int) (size - (long) index * chunkSize) : chunkSize;
  }

  void ended(Status status) {
    this.status = status;
    this.finishedAt = Instant.now();
    this.finalRate = transferStartNanos == 0 ? null : (long) bytesPerSecond();
  }

  private double bytesPerSecond() {
    double seconds = (System.nanoTime() - transferStartNanos) / 1e9;
    return transferStartNanos == 0 || seconds <= 0 ? 0 : bytesDone / seconds;
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
      .put("status", status.name().toLowerCase())
      .put("createdAt", createdAt.toString())
      .put("startedAt", stamp(startedAt))
      .put("finishedAt", stamp(finishedAt))
      .put("queuedUntil", status == Status.QUEUED ? stamp(queuedUntil) : null)
      .put("fileName", fileName)
      .put("size", size < 0 ? null : size)
      .put("totalChunks", size < 0 ? null : totalChunks)
      .put("chunksDone", chunksDone())
      .put("bytesDone", bytesDone)
      .put("retries", retries)
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
    return toJson().put("idempotencyKey", idempotencyKey).put("seq", seq)
      .put("queuedUntil", stamp(queuedUntil));
  }

  private static String stamp(Instant instant) {
    return instant == null ? null : instant.toString();
  }
}
