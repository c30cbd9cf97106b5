package io.silentmode.server.batch;

import io.silentmode.protocol.ErrorCode;
import io.silentmode.protocol.PullException;
import io.silentmode.server.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Who is in a new batch, asked of the registry once (the members are fixed then), and their jobs, asked of the
 * orchestrator held, so that the batch alone lets them start.
 */
final class Membership {

  /** Registry page size while resolving a selector. */
  private static final int PAGE = 500;
  /** Member jobs recorded at once: each is a store write, and the bus fails a request after 30 s. */
  private static final int AT_ONCE = 32;

  private final Vertx vertx;
  private final int maxBatchSize;

  Membership(Vertx vertx, int maxBatchSize) {
    this.vertx = vertx;
    this.maxBatchSize = maxBatchSize;
  }

  /** The matching agents, clientId to whether connected now; fails VALIDATION_FAILED, CLIENT_NOT_FOUND. */
  Future<Map<String, Boolean>> resolve(JsonObject request) {
    String selector = request.getString("selector");
    if (selector != null) {
      return page(selector, null, new LinkedHashMap<>()).compose(found -> found.isEmpty()
        ? Future.failedFuture(new PullException(ErrorCode.VALIDATION_FAILED, "selector '" + selector
        + "' matches no known agent; check it with GET /clients?selector="))
        : Future.succeededFuture(found));
    }
    JsonArray ids = request.getJsonArray("clientIds");
    if (ids.size() > maxBatchSize) {
      return Future.failedFuture(tooMany());
    }
    List<Future<JsonObject>> agents = new ArrayList<>();
    ids.forEach(id -> agents.add(vertx.eventBus().<JsonObject>request(Addresses.REGISTRY_GET,
      new JsonObject().put("clientId", id)).map(m -> m.body())));
    return Future.all(agents).map(all -> {
      Map<String, Boolean> found = new LinkedHashMap<>();
      agents.forEach(a -> found.put(a.result().getString("clientId"), a.result().getBoolean("connected")));
      return found;
    });
  }

  private Future<Map<String, Boolean>> page(String selector, String cursor, Map<String, Boolean> found) {
    JsonObject q = new JsonObject().put("selector", selector).put("limit", PAGE).put("cursor", cursor);
    return vertx.eventBus().<JsonObject>request(Addresses.REGISTRY_LIST, q).compose(m -> {
      m.body().getJsonArray("items").forEach(a -> found.put(((JsonObject) a).getString("clientId"),
        ((JsonObject) a).getBoolean("connected")));
      if (found.size() > maxBatchSize) {
        return Future.failedFuture(tooMany());
      }
      String next = m.body().getString("nextCursor");
      return next == null ? Future.succeededFuture(found) : page(selector, next, found);
    });
  }

  private PullException tooMany() {
    return new PullException(ErrorCode.VALIDATION_FAILED, "the batch would have more than MAX_BATCH_SIZE ("
      + maxBatchSize + ") members; narrow the selector or split the list");
  }

  /**
   * Records one held job per agent, {@link #AT_ONCE} at a time, adding each member to {@code batch} as its job is
   * recorded. On a failure the jobs already recorded are cancelled and the future fails.
   */
  Future<Void> createJobs(Batch batch, List<String> clientIds) {
    JsonObject r = batch.request;
    JsonObject template = new JsonObject()
      .put("path", r.getString("path"))
      .put("callbackUrl", r.getBoolean("memberCallbacks", false) ? r.getString("callbackUrl") : null)
      .put("priority", r.getString("priority"))
      .put("batchId", batch.batchId.toString())
      .put("held", true)
      .put("deadline", r.getString("deadline"));
    Future<Void> all = Future.succeededFuture();
    for (int from = 0; from < clientIds.size(); from += AT_ONCE) {
      List<String> group = clientIds.subList(from, Math.min(clientIds.size(), from + AT_ONCE));
      all = all.compose(v -> Future.all(group.stream().map(id -> vertx.eventBus().<JsonObject>request(Addresses.DOWNLOADS_START,
          template.copy().put("clientId", id)).map(m -> {
          Member member = new Member(batch, id, m.body().getString("requestId"));
          member.update(m.body());
          batch.members.add(member);
          return member;
        })).toList()).mapEmpty());
    }
    return all.recover(e -> {
      batch.members.forEach(m -> vertx.eventBus().request(Addresses.DOWNLOADS_CANCEL, new JsonObject().put("requestId", m.requestId)));
      return Future.failedFuture(e);
    });
  }
}
