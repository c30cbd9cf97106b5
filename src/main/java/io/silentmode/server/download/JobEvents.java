package io.silentmode.server.download;

import io.silentmode.server.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/** What the orchestrator tells about its jobs: events to those who follow them, records to the store. */
final class JobEvents {

  private static final System.Logger log = System.getLogger(JobEvents.class.getName());

  private final Vertx vertx;
  private final String node;

  /** @param node this node's name: every record it stores says it owns the job */
  JobEvents(Vertx vertx, String node) {
    this.vertx = vertx;
    this.node = node;
  }

  /**
   * Events carry the job and a per-job sequence, the SSE event id. Every event goes to the job's own address; state
   * changes also go to the all-jobs one, and are stored: the future is that of the store's write (already complete
   * for progress, which is not stored).
   */
  Future<Void> publish(Pull pull, String event) {
    pull.seq++;
    JsonObject body = pull.toJson().put("event", event).put("seq", pull.seq);
    vertx.eventBus().publish(Addresses.downloadEvents(pull.requestId.toString()), body);
    if ("progress".equals(event)) {
      return Future.succeededFuture();
    }
    vertx.eventBus().publish(Addresses.DOWNLOADS_EVENTS, body);
    return save(pull);
  }

  Future<Void> save(Pull pull) {
    return vertx.eventBus().request(Addresses.STORE_JOB_SAVE, new JsonObject().put("job", pull.toRecord().put("node", node)))
      .<Void>mapEmpty()
      .onFailure(e -> log.log(System.Logger.Level.ERROR, "Could not store job " + pull.requestId + ": " + e.getMessage()));
  }

}
