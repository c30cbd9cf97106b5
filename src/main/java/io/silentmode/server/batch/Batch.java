package io.silentmode.server.batch;

import io.silentmode.server.download.Cursor;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * One batch: what the operator asked for, its members (fixed at creation), and the figures the API shows. Owned by
 * the batch verticle; the member jobs themselves are the orchestrator's.
 */
final class Batch {

  static final Comparator<Batch> NEWEST_FIRST = Comparator.comparing((Batch b) -> b.createdAt).reversed()
    .thenComparing(b -> b.batchId.toString(), Comparator.reverseOrder());

  final UUID batchId;
  /** The request as the API took it: a replay under the same Idempotency-Key must be equal to it. */
  final JsonObject request;
  final String idempotencyKey;
  final Instant createdAt;
  final int concurrency;
  final Instant deadline;
  final List<Member> members = new ArrayList<>();
  boolean cancelled;
  Instant finishedAt;
  /** Sequence of the events published about this batch: the SSE event id. */
  long seq;
  /** Changed since last stored, or since the last progress event. */
  boolean dirty;
  boolean progressed;

  Batch(UUID batchId, JsonObject request, String idempotencyKey, Instant createdAt, int concurrency) {
    this.batchId = batchId;
    this.request = request;
    this.idempotencyKey = idempotencyKey;
    this.createdAt = createdAt;
    this.concurrency = concurrency;
    this.deadline = request.getInstant("deadline");
  }

  static Batch fromRecord(JsonObject r) {
    Batch b = new Batch(UUID.fromString(r.getString("batchId")), r.getJsonObject("request"), r.getString("idempotencyKey"),
      r.getInstant("createdAt"), r.getInteger("concurrency"));
    b.cancelled = r.getBoolean("cancelled", false);
    b.finishedAt = r.getInstant("finishedAt");
    b.seq = r.getLong("seq", 0L);
    r.getJsonArray("members").forEach(m -> b.members.add(Member.fromRecord(b, (JsonObject) m)));
    return b;
  }

  /** running (or cancelling) while a member has not ended; then cancelled, failed (one failed at least) or completed. */
  String status() {
    if (finishedAt == null) {
      return cancelled ? "cancelling" : "running";
    }
    return cancelled ? "cancelled" : members.stream().anyMatch(m -> "failed".equals(m.status)) ? "failed" : "completed";
  }

  boolean allEnded() {
    return members.stream().allMatch(Member::terminal);
  }

  /** Members let go and not ended: what the concurrency bounds. */
  long active() {
    return members.stream().filter(m -> m.released && !m.terminal()).count();
  }

  /** The next held member to let go: one whose agent is online, else any (it then waits for its agent, bounded). */
  Member nextHeld(Predicate<String> online) {
    Member offline = null;
    for (Member m : members) {
      if (!m.released && "queued".equals(m.status)) {
        if (online.test(m.clientId)) {
          return m;
        }
        offline = offline == null ? m : offline;
      }
    }
    return offline;
  }

  JsonObject toJson(String prefix, Predicate<String> online, boolean withMembers) {
    JsonObject counts = new JsonObject();
    for (String s : new String[] {"queued", "running", "paused", "completed", "failed", "cancelled"}) {
      counts.put(s, 0);
    }
    long bytes = 0;
    long rate = 0;
    long knownSize = 0;
    int known = 0;
    int offline = 0;
    for (Member m : members) {
      String key = "in_progress".equals(m.status) ? "running" : m.status;
      counts.put(key, counts.getInteger(key) + 1);
      offline += "queued".equals(m.status) && !online.test(m.clientId) ? 1 : 0;
      bytes += m.bytesDone;
      rate += m.bytesPerSecond;
      if (m.size != null) {
        knownSize += m.size;
        known++;
      }
    }
    counts.put("agentOffline", offline);
    JsonObject json = new JsonObject()
      .put("batchId", batchId.toString())
      .put("status", status())
      .put("selector", request.getString("selector"))
      .put("path", request.getString("path"))
      .put("callbackUrl", request.getString("callbackUrl"))
      .put("memberCallbacks", request.getBoolean("memberCallbacks", false))
      .put("concurrency", concurrency)
      .put("priority", request.getString("priority", "normal"))
      .put("deadline", deadline == null ? null : deadline.toString())
      .put("createdAt", createdAt.toString())
      .put("finishedAt", finishedAt == null ? null : finishedAt.toString())
      .put("matched", members.size())
      .put("counts", counts)
      .put("bytesDone", bytes)
      .put("size", known == 0 ? null : knownSize)
      .put("bytesPerSecond", finishedAt == null ? rate : null)
      .put("etaSeconds", rate > 0 ? (long) Math.ceil(remaining(known == 0 ? 0 : knownSize / known) / (double) rate) : null)
      .put("jobs", prefix + "/downloads?batchId=" + batchId);
    if (withMembers) {
      JsonArray list = new JsonArray();
      members.forEach(m -> list.add(m.toJson(prefix)));
      json.put("members", list);
    }
    return json;
  }

  /** Bytes still to come from members that have not ended, taking the average known size where a size is unknown. */
  private long remaining(long averageSize) {
    long left = 0;
    for (Member m : members) {
      if (!m.terminal()) {
        left += Math.max(0, (m.size != null ? m.size : averageSize) - m.bytesDone);
      }
    }
    return left;
  }

  JsonObject toRecord() {
    JsonArray list = new JsonArray();
    members.forEach(m -> list.add(m.toRecord()));
    return new JsonObject().put("batchId", batchId.toString()).put("request", request)
      .put("idempotencyKey", idempotencyKey).put("createdAt", createdAt.toString()).put("concurrency", concurrency)
      .put("cancelled", cancelled).put("finishedAt", finishedAt == null ? null : finishedAt.toString())
      .put("seq", seq).put("members", list);
  }

  /** The list cursor: opaque to clients, the position of the last batch of the previous page. */
  String cursor() {
    return new Cursor(createdAt, batchId).encode();
  }

  /** Whether this batch comes after the position {@code cursor} in newest-first order; IllegalArgumentException for a bad one. */
  boolean after(String cursor) {
    return Cursor.parse(cursor).isBefore(createdAt, batchId);
  }
}
