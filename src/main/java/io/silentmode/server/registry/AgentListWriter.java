package io.silentmode.server.registry;

import io.silentmode.server.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Collection;
import java.util.List;

/**
 * Writes the registry's known agents to the store: on connects and disconnects only, not on every heartbeat, and at
 * most one write each {@link #DELAY_MS}: the changes made meanwhile go in the next. The whole list is copied for each
 * write; a write per REGISTER made a reconnect storm of N agents copy N²/2 records (1,000 agents ran a 256 MiB heap
 * out of memory), and one write after the other still copied it a few hundred times while proofs were being checked.
 * Runs on the registry's event loop.
 */
final class AgentListWriter {

  static final long DELAY_MS = 100;
  private static final System.Logger log = System.getLogger(AgentListWriter.class.getName());

  private final Vertx vertx;
  private final Collection<JsonObject> agents;
  /** A write is under way, and the list changed after it was sent. */
  private boolean saving;
  private boolean changedSinceSave;
  /** The timer of a write waiting for {@link #DELAY_MS}, or -1. */
  private long pending = -1;
  private boolean stopped;

  AgentListWriter(Vertx vertx, Collection<JsonObject> agents) {
    this.vertx = vertx;
    this.agents = agents;
  }

  /** The list changed: it is written within {@link #DELAY_MS}, unless the registry has stopped. */
  void changed() {
    if (stopped) {
      return;
    }
    if (saving) {
      changedSinceSave = true;
    } else if (pending == -1) {
      pending = vertx.setTimer(DELAY_MS, t -> save());
    }
  }

  /** A write still waiting for its delay is made now, and none after: the store stops after the registry. */
  Future<?> stop() {
    stopped = true;
    if (pending != -1 && vertx.cancelTimer(pending)) {
      return save().recover(e -> Future.succeededFuture());
    }
    return Future.succeededFuture();
  }

  private Future<?> save() {
    pending = -1;
    saving = true;
    return vertx.eventBus().request(Addresses.STORE_CLIENT_SAVE, new JsonObject().put("clients", new JsonArray(List.copyOf(agents))))
      .onFailure(e -> log.log(System.Logger.Level.WARNING, "Could not store the known agents: " + e.getMessage()))
      .onComplete(saved -> {
        saving = false;
        if (changedSinceSave) {
          changedSinceSave = false;
          changed();
        }
      });
  }
}
