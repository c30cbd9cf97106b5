package io.silentmode.server.batch;

import io.vertx.core.json.JsonObject;

import java.util.Set;

/** One agent of a batch and its current job (the latest retry), as the orchestrator last reported it. */
final class Member {

  private static final Set<String> TERMINAL = Set.of("completed", "failed", "cancelled");

  final Batch batch;
  final String clientId;
  String requestId;
  String retryOf;
  String status = "queued";
  /** The batch let the job go: it counts against the batch's concurrency until it ends. */
  boolean released;
  long bytesDone;
  Long size;
  long bytesPerSecond;

  Member(Batch batch, String clientId, String requestId) {
    this.batch = batch;
    this.clientId = clientId;
    this.requestId = requestId;
  }

  static Member fromRecord(Batch batch, JsonObject r) {
    Member m = new Member(batch, r.getString("clientId"), r.getString("requestId"));
    m.retryOf = r.getString("retryOf");
    m.status = r.getString("status");
    m.released = r.getBoolean("released", false);
    m.bytesDone = r.getLong("bytesDone", 0L);
    m.size = r.getLong("size");
    return m;
  }

  boolean terminal() {
    return TERMINAL.contains(status);
  }

  /** Takes the job's figures from an event or a reply; returns whether its status changed. */
  boolean update(JsonObject job) {
    String before = status;
    status = job.getString("status");
    bytesDone = job.getLong("bytesDone", bytesDone);
    size = job.getLong("size", size);
    Long rate = job.getLong("bytesPerSecond");
    bytesPerSecond = "in_progress".equals(status) && rate != null ? rate : 0;
    return !status.equals(before);
  }

  JsonObject toJson(String prefix) {
    return new JsonObject().put("clientId", clientId).put("requestId", requestId).put("status", status)
      .put("href", prefix + "/downloads/" + requestId);
  }

  JsonObject toRecord() {
    return new JsonObject().put("clientId", clientId).put("requestId", requestId).put("retryOf", retryOf)
      .put("status", status).put("released", released).put("bytesDone", bytesDone).put("size", size);
  }
}
