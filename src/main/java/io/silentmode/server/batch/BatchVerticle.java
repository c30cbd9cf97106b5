package io.silentmode.server.batch;

import io.silentmode.protocol.ErrorCode;
import io.silentmode.protocol.PullException;
import io.silentmode.server.Addresses;
import io.silentmode.server.ServerConfig;
import io.silentmode.server.download.Idempotency;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Owns the batches: creates them (members resolved once, each a held job of the orchestrator), lets at most
 * {@code concurrency} members of each go at a time (DOWNLOADS_RELEASE), follows the member jobs on
 * DOWNLOADS_EVENTS (and the progress of the running ones on their own addresses), cancels and retries members, and
 * publishes the batch's events on {@link Addresses#batchEvents} and its end on {@link Addresses#BATCHES_EVENTS}.
 * Talks to the orchestrator, the registry and the store over the bus only; batches are stored through the store.
 */
public class BatchVerticle extends VerticleBase {

  private static final System.Logger log = System.getLogger(BatchVerticle.class.getName());
  private static final long IDEMPOTENCY_TTL_MS = 24 * 3_600_000L;
  /** How often aggregate progress goes out, and a changed batch is stored, at most. */
  private static final long TICK_MS = 500;
  private static final String PREFIX = "/api/v1";

  private final ServerConfig config;
  private final BatchBook batches = new BatchBook();
  private final Idempotency idempotency = new Idempotency(IDEMPOTENCY_TTL_MS);
  private Membership membership;
  private BatchEvents events;
  private Pacer pacer;

  public BatchVerticle(ServerConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    membership = new Membership(vertx, config.maxBatchSize());
    events = new BatchEvents(vertx);
    pacer = new Pacer(vertx, this::onJob);
    EventBus bus = vertx.eventBus();
    return bus.<JsonArray>request(Addresses.STORE_BATCH_LOAD, new JsonObject()).map(Message::body)
      .compose(records -> Future.all(List.of(
        bus.<JsonObject>localConsumer(Addresses.BATCHES_CREATE, this::create).completion(),
        bus.<JsonObject>consumer(Addresses.onNode(Addresses.BATCHES_GET, config.nodeName()), this::get).completion(),
        bus.<JsonObject>consumer(Addresses.onNode(Addresses.BATCHES_LIST, config.nodeName()), this::list).completion(),
        bus.<JsonObject>consumer(Addresses.onNode(Addresses.BATCHES_CANCEL, config.nodeName()), this::cancel).completion(),
        bus.<JsonObject>consumer(Addresses.onNode(Addresses.BATCHES_RETRY, config.nodeName()), this::retry).completion(),
        // cluster-wide: a batch's members run on the nodes their agents dial
        bus.<JsonObject>consumer(Addresses.DOWNLOADS_EVENTS, m -> onJob(m.body())).completion(),
        bus.<JsonObject>consumer(Addresses.REGISTRY_EVENTS, m -> onRegistry(m.body())).completion()))
        .compose(v -> restore(records)))
      .onSuccess(v -> {
        vertx.setPeriodic(TICK_MS, t -> tick());
        vertx.setPeriodic(3_600_000L, t -> prune());
      });
  }

  /** Takes the stored batches back and asks the orchestrator how each unfinished member's job stands now. */
  private Future<Void> restore(JsonArray records) {
    List<Future<?>> synced = new ArrayList<>();
    for (int i = 0; i < records.size(); i++) {
      Batch b = Batch.fromRecord(records.getJsonObject(i));
      batches.add(b);
      idempotency.restore(b.idempotencyKey, b.batchId, b.createdAt);
      for (Member m : b.members) {
        if (!m.terminal()) {
          synced.add(vertx.eventBus().<JsonObject>request(Addresses.DOWNLOADS_GET, new JsonObject().put("requestId", m.requestId))
            .onSuccess(reply -> {
              m.update(reply.body());
              m.released = !"BATCH_CONCURRENCY".equals(reply.body().getString("queuedReason"));
            })
            .onFailure(e -> m.status = "failed")); // its job record is gone: nothing will run it
        }
      }
    }
    prune();
    return Future.join(synced).transform(ar -> {
      batches.all().forEach(b -> {
        b.members.stream().filter(m -> m.released && !m.terminal()).forEach(pacer::follow);
        pacer.fill(b);
        settle(b);
      });
      return Future.succeededFuture();
    });
  }

  // ---- requests -----------------------------------------------------------------------------------------

  private void create(Message<JsonObject> m) {
    JsonObject request = m.body().getJsonObject("request");
    String key = m.body().getString("idempotencyKey");
    if (key != null) {
      UUID earlier = idempotency.claim(key);
      if (earlier != null) {
        replay(m, batches.get(earlier), request, key);
        return;
      }
    }
    int concurrency = request.getInteger("concurrency", 10);
    Batch batch = new Batch(UUID.randomUUID(), request, key, Instant.now(), concurrency);
    membership.resolve(request)
      .compose(found -> {
        found.forEach(pacer::online);
        return membership.createJobs(batch, new ArrayList<>(found.keySet()));
      })
      .compose(v -> {
        batches.add(batch);
        return events.save(batch);
      })
      .onSuccess(v -> {
        if (key != null) {
          idempotency.bind(key, batch.batchId, batch.createdAt);
        }
        log.log(System.Logger.Level.INFO, "Batch " + batch.batchId + " created with " + batch.members.size() + " members");
        events.publish(batch, "state", view(batch, false));
        pacer.fill(batch);
        m.reply(view(batch, true));
      })
      .onFailure(e -> {
        if (key != null) {
          idempotency.release(key);
        }
        fail(m, PullException.of(e));
      });
  }

  private void replay(Message<JsonObject> m, Batch earlier, JsonObject asked, String key) {
    if (earlier == null) {
      fail(m, new PullException(ErrorCode.IDEMPOTENCY_KEY_IN_USE, "a request with Idempotency-Key '" + key
        + "' is still being handled; retry in a moment"));
    } else if (!earlier.request.equals(asked)) {
      fail(m, new PullException(ErrorCode.IDEMPOTENCY_KEY_REUSED, "Idempotency-Key '" + key
        + "' was used for a different request (batch " + earlier.batchId + "); use a new key"));
    } else {
      m.reply(view(earlier, true), new DeliveryOptions().addHeader("replayed", "true"));
    }
  }

  private void get(Message<JsonObject> m) {
    Batch b = batch(m);
    if (b != null) {
      m.reply(view(b, !m.body().getBoolean("summary", false)).put("seq", b.seq));
    }
  }

  private void list(Message<JsonObject> m) {
    String cursor = m.body().getString("cursor");
    int limit = m.body().getInteger("limit", 50);
    BatchBook.Page page;
    try {
      page = batches.page(limit, cursor);
    } catch (IllegalArgumentException e) {
      fail(m, new PullException(ErrorCode.VALIDATION_FAILED, "cursor is not one this server gave out"));
      return;
    }
    JsonArray items = new JsonArray();
    page.items().forEach(b -> items.add(view(b, false)));
    m.reply(new JsonObject().put("items", items).put("nextCursor", page.nextCursor()));
  }

  /** Cancels every member that has not ended; the batch ends (cancelled) once the last of them has. */
  private void cancel(Message<JsonObject> m) {
    Batch b = batch(m);
    if (b == null) {
      return;
    }
    if (b.finishedAt != null || b.cancelled) {
      fail(m, new PullException(ErrorCode.BATCH_NOT_ACTIVE, "batch " + b.batchId + " is already " + b.status()));
      return;
    }
    b.cancelled = true;
    b.members.stream().filter(member -> !member.terminal()).forEach(member -> vertx.eventBus()
      .request(Addresses.DOWNLOADS_CANCEL, new JsonObject().put("requestId", member.requestId))
      .onFailure(e -> log.log(System.Logger.Level.DEBUG, "Batch " + b.batchId + ": " + e.getMessage())));
    changed(b);
    m.reply(view(b, true));
  }

  /** A new held job for each failed member, under the batch's concurrency again. */
  private void retry(Message<JsonObject> m) {
    Batch b = batch(m);
    if (b == null) {
      return;
    }
    List<Member> failed = b.members.stream().filter(member -> "failed".equals(member.status)).toList();
    if (failed.isEmpty() || b.finishedAt == null) {
      fail(m, new PullException(ErrorCode.BATCH_NOT_RETRYABLE, "batch " + b.batchId + " is " + b.status()
        + (failed.isEmpty() ? " with no failed member" : "; retry it once it has ended") + "; nothing to retry"));
      return;
    }
    b.cancelled = false;
    b.finishedAt = null;
    Future.join(failed.stream().map(member -> vertx.eventBus().<JsonObject>request(Addresses.DOWNLOADS_RETRY,
        new JsonObject().put("requestId", member.requestId).put("held", true)).onSuccess(reply -> {
        batches.rejob(member, reply.body().getString("requestId"));
        member.released = false;
        member.update(reply.body());
      })).toList())
      .onComplete(ar -> {
        changed(b);
        pacer.fill(b);
        settle(b);
        m.reply(view(b, true));
      });
  }

  // ---- following the member jobs -------------------------------------------------------------------------

  private void onJob(JsonObject job) {
    Member member = job.getString("batchId") == null ? null : batches.member(job.getString("requestId"));
    if (member == null || member.terminal()) {
      return;
    }
    Batch b = member.batch;
    if (!member.update(job)) {
      b.progressed = true;
      return;
    }
    events.publish(b, "member", new JsonObject().put("batchId", b.batchId.toString()).put("requestId", member.requestId)
      .put("clientId", member.clientId).put("status", member.status).put("retryOf", member.retryOf));
    if (member.terminal()) {
      pacer.unfollow(member);
      pacer.fill(b);
    }
    changed(b);
    settle(b);
  }

  private void onRegistry(JsonObject event) {
    String clientId = event.getString("clientId");
    if ("connected".equals(event.getString("event"))) {
      pacer.online(clientId, true);
      batches.runningWith(clientId).forEach(pacer::fill);
    } else if ("disconnected".equals(event.getString("event"))) {
      pacer.online(clientId, false);
    }
  }

  /** Ends the batch once every member has ended: its final event, its webhook, its record. */
  private void settle(Batch b) {
    if (b.finishedAt != null || !b.allEnded()) {
      return;
    }
    b.finishedAt = Instant.now();
    JsonObject view = view(b, false);
    events.publishEnd(b, view);
    log.log(System.Logger.Level.INFO, "Batch " + b.batchId + " " + b.status() + ": " + view.getJsonObject("counts").encode());
    events.save(b);
  }

  // ---- events and records --------------------------------------------------------------------------------

  private void changed(Batch b) {
    b.dirty = true;
    events.publish(b, "state", view(b, false));
  }

  /** Aggregate progress of the running batches, and the records of the changed ones, at most every TICK_MS. */
  private void tick() {
    for (Batch b : batches.all()) {
      if (b.progressed && b.finishedAt == null) {
        b.progressed = false;
        events.publish(b, "progress", view(b, false));
      }
      if (b.dirty) {
        events.save(b);
      }
    }
  }

  /** Drops batches that ended before JOB_RETENTION, as the orchestrator drops their member jobs. */
  private void prune() {
    List<Batch> old = batches.prune(Instant.now().minusMillis(config.jobRetention()));
    idempotency.expire();
    if (old.isEmpty()) {
      return;
    }
    JsonArray ids = new JsonArray();
    old.forEach(b -> {
      idempotency.forget(b.idempotencyKey, b.batchId);
      ids.add(b.batchId.toString());
    });
    events.delete(ids);
  }

  // ---- helpers -------------------------------------------------------------------------------------------

  private JsonObject view(Batch b, boolean withMembers) {
    return b.toJson(PREFIX, pacer::online, withMembers);
  }

  private Batch batch(Message<JsonObject> m) {
    String id = m.body().getString("batchId");
    Batch b = batches.get(id);
    if (b == null) {
      fail(m, new PullException(ErrorCode.BATCH_NOT_FOUND, "no batch with batchId '" + id + "'"));
    }
    return b;
  }

  private static void fail(Message<?> m, PullException e) {
    m.fail(e.code().busCode(), e.getMessage());
  }
}
