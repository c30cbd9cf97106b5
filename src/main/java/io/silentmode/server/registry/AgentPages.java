package io.silentmode.server.registry;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.NavigableMap;

/** The registry's list, one page at a time, with its filters (connected, label selector, enrollment state). */
final class AgentPages {

  private AgentPages() {
  }

  /**
   * One page of the agents this node knows ({@code connected?, selector?, limit, cursor?}), in {@link ClientCursor}
   * order. A selector or cursor that does not parse throws, saying why.
   */
  static JsonObject page(NavigableMap<String, JsonObject> agents, JsonObject q) {
    Boolean connected = q.getBoolean("connected");
    String enrollment = q.getString("enrollment");
    int limit = q.getInteger("limit", 50);
    String after;
    LabelSelector selector;
    try {
      selector = q.getString("selector") == null ? null : LabelSelector.parse(q.getString("selector"));
    } catch (LabelSelector.Invalid e) {
      throw new IllegalArgumentException("selector: " + e.getMessage());
    }
    try {
      after = ClientCursor.decode(q.getString("cursor"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("cursor is not one this server gave out");
    }
    JsonArray items = new JsonArray();
    String last = null;
    boolean more = false;
    for (JsonObject agent : (after == null ? agents : agents.tailMap(after, false)).values()) {
      if (connected != null && agent.getBoolean("connected") != connected
        || selector != null && !selector.matches(agent.getJsonObject("labels"))
        || enrollment != null && !enrollment.equals(enrollmentStatus(agent))) {
        continue;
      }
      if (items.size() == limit) {
        more = true;
        break;
      }
      items.add(agent.copy());
      last = agent.getString("clientId");
    }
    String next = more ? ClientCursor.encode(last) : null;
    return new JsonObject().put("items", items).put("nextCursor", next);
  }

  /** {@code enrolled}, {@code revoked}, {@code open}, or {@code none} for an agent registered without enrolling. */
  private static String enrollmentStatus(JsonObject agent) {
    JsonObject enrollment = agent.getJsonObject(Admission.FIELD);
    return enrollment == null ? "none" : enrollment.getString("status");
  }

}
