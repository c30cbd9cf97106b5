package io.silentmode.server.download;

import io.silentmode.protocol.ErrorCode;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/** One pull: its job record and, while it runs, the state of each chunk. Owned by the orchestrator alone. */
final class Pull {

  enum Status { IN_PROGRESS, COMPLETED, FAILED, CANCELLED }

  enum Chunk { WAITING, REQUESTED, WRITING, BACKOFF, DONE }

  final UUID requestId;
  final String clientId;
  final String connectionId;
  final String path;
  final Instant createdAt = Instant.now();
  Status status = Status.IN_PROGRESS;
  Instant finishedAt;

  // Known once the agent acknowledged the request.
  String fileName;
  long size = -1;
  int chunkSize;
  int totalChunks;
  String agentSha256;
  Chunk[] chunks;
  int[] attempts;
  /** Retry backoff timers by chunk index, plus the pull-wide timers under negative keys. */
  final Map<Integer, Long> timers = new HashMap<>();
  int nextToRequest;
  int lowestNotDone;
  int chunksDone;
  long bytesDone;
  int retries;
  long transferStartNanos;
  long lastProgressMillis;
  boolean storageOpen;
  /** Every byte is written and the disk writer is verifying and publishing the file. */
  boolean committing;

  JsonObject file;
  ErrorCode errorCode;
  String errorMessage;

  Pull(UUID requestId, String clientId, String connectionId, String path) {
    this.requestId = requestId;
    this.clientId = clientId;
    this.connectionId = connectionId;
    this.path = path;
  }

  void acknowledged(String fileName, long size, int chunkSize, int totalChunks, String sha256) {
    this.fileName = fileName;
    this.size = size;
    this.chunkSize = chunkSize;
    this.totalChunks = totalChunks;
    this.agentSha256 = sha256;
    this.chunks = new Chunk[totalChunks];
    Arrays.fill(chunks, Chunk.WAITING);
    this.attempts = new int[totalChunks];
    this.transferStartNanos = System.nanoTime();
  }

  boolean terminal() {
    return status != Status.IN_PROGRESS;
  }

  int lengthOf(int index) {
    return index == totalChunks - 1 ? (int) (size - (long) index * chunkSize) : chunkSize;
  }

  double bytesPerSecond() {
    double seconds = (System.nanoTime() - transferStartNanos) / 1e9;
    return transferStartNanos == 0 || seconds <= 0 ? 0 : bytesDone / seconds;
  }

  JsonObject toJson() {
    JsonObject json = new JsonObject()
      .put("requestId", requestId.toString())
      .put("clientId", clientId)
      .put("path", path)
      .put("status", status.name().toLowerCase())
      .put("createdAt", createdAt.toString())
      .put("finishedAt", finishedAt == null ? null : finishedAt.toString())
      .put("fileName", fileName)
      .put("size", size < 0 ? null : size)
      .put("totalChunks", chunks == null ? null : totalChunks)
      .put("chunksDone", chunksDone)
      .put("bytesDone", bytesDone)
      .put("retries", retries)
      .put("bytesPerSecond", (long) bytesPerSecond())
      .put("file", file);
    if (errorCode != null) {
      json.put("error", new JsonObject().put("code", errorCode.name()).put("message", errorMessage)
        .put("retryable", errorCode.retryable()));
    }
    return json;
  }
}
