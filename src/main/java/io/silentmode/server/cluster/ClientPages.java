package io.silentmode.server.cluster;

import io.silentmode.protocol.ErrorCode;
import io.silentmode.protocol.PullException;
import io.silentmode.server.Addresses;
import io.silentmode.server.cluster.ClusterRouterVerticle.Reply;
import io.silentmode.server.registry.ClientCursor;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.function.BiFunction;

/**
 * One page of the agent list of the whole cluster, in clientId order. An agent that moved is known to several nodes;
 * its entry is the connected one, else the one seen last. Each member returns its page after the cursor; ids up to
 * the smallest last id of the members that have more are complete, so those are merged, filtered and taken, and the
 * next round starts after them until the page is full or every member is done.
 */
final class ClientPages {

  private final BiFunction<String, JsonObject, Future<List<Reply>>> askAll;

  ClientPages(BiFunction<String, JsonObject, Future<List<Reply>>> askAll) {
    this.askAll = askAll;
  }

  /** Whether entry {@code a} of an agent says more than {@code b}: connected beats not, then the later lastSeen. */
  static boolean better(JsonObject a, JsonObject b) {
    if (b == null || a.getBoolean("connected") != b.getBoolean("connected")) {
      return b == null || a.getBoolean("connected");
    }
    return Instant.parse(a.getString("lastSeen")).isAfter(Instant.parse(b.getString("lastSeen")));
  }

  Future<JsonObject> page(JsonObject query) {
    String after;
    try {
      after = ClientCursor.decode(query.getString("cursor"));
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(new PullException(ErrorCode.VALIDATION_FAILED, "cursor is not one this server gave out"));
    }
    return collect(query, after, new JsonArray());
  }

  private Future<JsonObject> collect(JsonObject query, String after, JsonArray items) {
    Boolean connected = query.getBoolean("connected");
    int limit = query.getInteger("limit", 50);
    JsonObject ask = new JsonObject().put("limit", limit).put("selector", query.getString("selector"))
      .put("cursor", after == null ? null : ClientCursor.encode(after));
    if (Boolean.TRUE.equals(connected)) {
      ask.put("connected", true); // a connected entry is on one node only: each member can filter for it
    }
    return askAll.apply(Addresses.REGISTRY_LIST, ask).compose(replies -> {
      NavigableMap<String, JsonObject> merged = new TreeMap<>();
      String horizon = null;
      for (Reply r : replies) {
        if (r.message() == null) {
          return Future.failedFuture(r.failure());
        }
        JsonArray page = r.message().body().getJsonArray("items");
        page.forEach(i -> merged.merge(((JsonObject) i).getString("clientId"), (JsonObject) i, (x, y) -> better(y, x) ? y : x));
        if (r.message().body().getString("nextCursor") != null) {
          String last = page.getJsonObject(page.size() - 1).getString("clientId");
          horizon = horizon == null || last.compareTo(horizon) < 0 ? last : horizon;
        }
      }
      for (JsonObject agent : (horizon == null ? merged : merged.headMap(horizon, true)).values()) {
        if (connected != null && agent.getBoolean("connected") != connected) {
          continue;
        }
        if (items.size() == limit) {
          return Future.succeededFuture(result(items, true));
        }
        items.add(agent);
      }
      return horizon == null ? Future.succeededFuture(result(items, false)) : collect(query, horizon, items);
    });
  }

  private static JsonObject result(JsonArray items, boolean more) {
    String next = more ? ClientCursor.encode(items.getJsonObject(items.size() - 1).getString("clientId")) : null;
    return new JsonObject().put("items", items).put("nextCursor", next);
  }
}
