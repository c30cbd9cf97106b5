package io.silentmode.server.batch;

import io.silentmode.server.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** What the batch verticle tells about its batches: events to those who follow one, records to the store. */
final class BatchEvents {

  private static final System.Logger log = System.getLogger(BatchEvents.class.getName());

  private final Vertx vertx;

  BatchEvents(Vertx vertx) {
    this.vertx = vertx;
  }

  /** One event of the batch, with the batch's next sequence number: the SSE event id. */
  void publish(Batch b, String event, JsonObject body) {
    b.seq++;
    vertx.eventBus().publish(Addresses.batchEvents(b.batchId.toString()), body.put("event", event).put("seq", b.seq));
  }

  /** The batch's end, also to those who follow every batch (the webhook sender). */
  void publishEnd(Batch b, JsonObject view) {
    publish(b, "final", view);
    vertx.eventBus().publish(Addresses.BATCHES_EVENTS, view.copy());
  }

  Future<Void> save(Batch b) {
    b.dirty = false;
    return vertx.eventBus().request(Addresses.STORE_BATCH_SAVE, new JsonObject().put("batch", b.toRecord())).<Void>mapEmpty()
      .onFailure(e -> {
        b.dirty = true; // the next tick tries again
        log.log(System.Logger.Level.ERROR, "Could not store batch " + b.batchId + ": " + e.getMessage());
      });
  }

  void delete(JsonArray batchIds) {
    vertx.eventBus().request(Addresses.STORE_BATCH_DELETE, new JsonObject().put("batchIds", batchIds))
      .onFailure(e -> log.log(System.Logger.Level.WARNING, "Could not delete old batch records: " + e.getMessage()));
  }
}
