package io.silentmode.server.batch;

import io.silentmode.server.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The pace of the batches: which agents are online, letting held members go while fewer than a batch's
 * concurrency have not ended, and the progress subscriptions of the members let go.
 */
final class Pacer {

  private static final System.Logger log = System.getLogger(Pacer.class.getName());

  private final Vertx vertx;
  private final Consumer<JsonObject> onProgress;
  /** Agents connected now, as the registry told (at a batch's creation, then by its events). */
  private final Set<String> online = new HashSet<>();
  /** Progress subscriptions of the members let go and not ended, by requestId. */
  private final Map<String, MessageConsumer<JsonObject>> progress = new HashMap<>();

  Pacer(Vertx vertx, Consumer<JsonObject> onProgress) {
    this.vertx = vertx;
    this.onProgress = onProgress;
  }

  boolean online(String clientId) {
    return online.contains(clientId);
  }

  void online(String clientId, boolean connected) {
    if (connected) {
      online.add(clientId);
    } else {
      online.remove(clientId);
    }
  }

  /** Lets held members go while fewer than the batch's concurrency have not ended, those whose agent is online first. */
  void fill(Batch b) {
    while (!b.cancelled && b.finishedAt == null && b.active() < b.concurrency) {
      Member next = b.nextHeld(online::contains);
      if (next == null) {
        return;
      }
      next.released = true;
      follow(next);
      vertx.eventBus().request(Addresses.DOWNLOADS_RELEASE, new JsonObject().put("requestId", next.requestId))
        .onFailure(e -> log.log(System.Logger.Level.WARNING, "Batch " + b.batchId + " could not start its member "
          + next.requestId + ": " + e.getMessage()));
      b.dirty = true;
    }
  }

  /** Follows the progress of a member let go, until {@link #unfollow}. */
  void follow(Member member) {
    progress.computeIfAbsent(member.requestId, id -> vertx.eventBus().<JsonObject>consumer(Addresses.downloadEvents(id), m -> {
      if ("progress".equals(m.body().getString("event"))) {
        onProgress.accept(m.body());
      }
    }));
  }

  void unfollow(Member member) {
    MessageConsumer<JsonObject> consumer = progress.remove(member.requestId);
    if (consumer != null) {
      consumer.unregister();
    }
  }
}
