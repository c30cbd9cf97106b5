package io.silentmode.server.http;

import io.silentmode.server.Addresses;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.List;

/**
 * Server-Sent Events of one job, or of one batch (the same rules, with the batch for the job). The stream opens with the job as it is (unless {@code Last-Event-ID} is already
 * current), then relays the orchestrator's events for that job and closes after {@code final}. A finished job with
 * nothing after {@code Last-Event-ID} answers 204, the status that tells an EventSource to stop reconnecting.
 * Events carry the
 * job's sequence number as {@code id}; a progress event is dropped rather than queued when the client reads slowly,
 * since the next one supersedes it.
 */
final class EventStream {

  /** How long an EventSource waits before reconnecting after a dropped stream, sent as {@code retry:}. */
  static final long RETRY_MILLIS = 3_000;

  private final Vertx vertx;
  private final long heartbeatMillis;

  EventStream(Vertx vertx, long heartbeatMillis) {
    this.vertx = vertx;
    this.heartbeatMillis = heartbeatMillis;
  }

  void handle(RoutingContext rc, String requestId) {
    follow(rc, Addresses.downloadEvents(requestId), Addresses.DOWNLOADS_GET, new JsonObject().put("requestId", requestId));
  }

  /** The same for a batch: its state (without the member list), member changes, progress and final. */
  void handleBatch(RoutingContext rc, String batchId) {
    follow(rc, Addresses.batchEvents(batchId), Addresses.BATCHES_GET, new JsonObject().put("batchId", batchId).put("summary", true));
  }

  /** Follows {@code events}, after the snapshot {@code get} replies to {@code query}. */
  private void follow(RoutingContext rc, String events, String get, JsonObject query) {
    long lastEventId = parseLastEventId(rc.request().getHeader("Last-Event-ID"));
    List<JsonObject> early = new ArrayList<>();
    Stream stream = new Stream(rc.response(), lastEventId);
    // Subscribe before reading the job, so that no event falls between the snapshot and the subscription.
    MessageConsumer<JsonObject> consumer = vertx.eventBus().consumer(events, m -> {
      if (stream.started) {
        stream.write(m.body());
      } else {
        early.add(m.body());
      }
    });
    consumer.completion()
      .compose(v -> vertx.eventBus().<JsonObject>request(get, query))
      .onSuccess(reply -> {
        JsonObject job = reply.body();
        if (terminal(job) && job.getLong("seq", 0L) <= lastEventId) {
          consumer.unregister();
          rc.response().setStatusCode(204).end();
          return;
        }
        HttpServerResponse response = rc.response().setChunked(true)
          .putHeader("Content-Type", "text/event-stream; charset=utf-8")
          .putHeader("Cache-Control", "no-cache")
          .putHeader("X-Accel-Buffering", "no");
        long heartbeat = vertx.setPeriodic(heartbeatMillis, t -> response.write(": keep-alive\n\n"));
        Handler<Void> cleanUp = v -> {
          vertx.cancelTimer(heartbeat);
          consumer.unregister();
        };
        // Not endHandler: a response has one, and RequestHeadDeadline counts the connection's answers with it.
        response.closeHandler(cleanUp);
        stream.ended = cleanUp;
        response.write("retry: " + RETRY_MILLIS + "\n\n");
        stream.started = true;
        stream.write(job.put("event", terminal(job) ? "final" : "state"));
        early.forEach(stream::write);
      })
      .onFailure(e -> {
        consumer.unregister();
        Problems.send(rc, e);
      });
  }

  /** Completed, failed or cancelled; a paused job is not finished, its stream stays open until it resumes and ends. */
  private static boolean terminal(JsonObject job) {
    String status = job.getString("status");
    return "completed".equals(status) || "failed".equals(status) || "cancelled".equals(status);
  }

  private static long parseLastEventId(String header) {
    try {
      return header == null ? -1 : Long.parseLong(header.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static final class Stream {
    final HttpServerResponse response;
    long lastWritten;
    boolean started;
    /** Run once the final event has ended the response. */
    Handler<Void> ended = v -> { };

    Stream(HttpServerResponse response, long lastEventId) {
      this.response = response;
      this.lastWritten = lastEventId;
    }

    void write(JsonObject event) {
      if (response.ended() || response.closed()) {
        return;
      }
      long seq = event.getLong("seq", 0L);
      String name = event.getString("event");
      boolean last = "final".equals(name);
      if (seq > lastWritten && !("progress".equals(name) && response.writeQueueFull())) {
        lastWritten = seq;
        JsonObject job = event.copy();
        job.remove("event");
        job.remove("seq");
        response.write("id: " + seq + "\nevent: " + name + "\ndata: " + job.encode() + "\n\n");
      }
      if (last) {
        response.end();
        ended.handle(null);
      }
    }
  }
}
