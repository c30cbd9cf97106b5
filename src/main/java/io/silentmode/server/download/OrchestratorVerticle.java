package io.silentmode.server.download;

import io.netty.buffer.ByteBuf;
import io.silentmode.protocol.ErrorCode;
import io.silentmode.protocol.PullException;
import io.silentmode.server.Addresses;
import io.silentmode.server.ServerConfig;
import io.silentmode.server.cluster.Membership;
import io.silentmode.server.download.Pull.Status;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;

/**
 * Owns the jobs: takes operators' requests (start with idempotency keys, retry, get, list, cancel), restores the
 * stored jobs at start and prunes old ones, and wires the bus to {@link PullRunner} (a pull's life) and
 * {@link ChunkTransfer} (its chunks). Progress and outcome go out on {@link Addresses#downloadEvents}, states and
 * outcome also on {@link Addresses#DOWNLOADS_EVENTS}. At most one pull per agent runs at a time.
 */
public class OrchestratorVerticle extends VerticleBase {

  private static final System.Logger log = System.getLogger(OrchestratorVerticle.class.getName());

  private static final long IDEMPOTENCY_TTL_MS = 24 * 3_600_000L;
  private static final long HOUR_MS = 3_600_000L;

  private final ServerConfig config;
  private final JobBook jobs = new JobBook();
  private final Idempotency idempotency = new Idempotency(IDEMPOTENCY_TTL_MS);
  private final Membership membership;
  private PullRunner runner;
  private Ownership ownership;

  public OrchestratorVerticle(ServerConfig config, Membership membership) {
    this.config = config;
    this.membership = membership;
  }

  @Override
  public Future<?> start() {
    EventBus bus = vertx.eventBus();
    runner = new PullRunner(vertx, config, jobs);
    ownership = new Ownership(vertx, config, membership, jobs, runner, idempotency);
    return ownership.restore()
      .compose(restored -> {
        afterRestore(restored);
        vertx.setPeriodic(HOUR_MS, t -> prune());
        ownership.watchMembers();
        return Future.all(List.of(
          owned(bus, Addresses.DOWNLOADS_START, this::start),
          owned(bus, Addresses.DOWNLOADS_RETRY, this::retry),
          owned(bus, Addresses.DOWNLOADS_RELEASE, this::release),
          owned(bus, Addresses.DOWNLOADS_GET, this::get),
          owned(bus, Addresses.DOWNLOADS_LIST, this::list),
          owned(bus, Addresses.DOWNLOADS_CANCEL, this::cancel),
          owned(bus, Addresses.DOWNLOADS_PAUSE, this::pause),
          owned(bus, Addresses.DOWNLOADS_RESUME, this::resume),
          owned(bus, Addresses.DOWNLOADS_ADOPT, ownership::adopt),
          bus.<JsonObject>consumer(Addresses.AGENTS_CONNECTED, m -> ownership.onAgentConnected(m.body())).completion(),
          bus.<JsonObject>localConsumer(Addresses.DOWNLOADS_AGENT_MESSAGE, m -> runner.onAgentMessage(m.body())).completion(),
          bus.<ByteBuf>localConsumer(Addresses.DOWNLOADS_CHUNK, runner.chunks()::onChunk).completion(),
          bus.<JsonObject>localConsumer(Addresses.REGISTRY_EVENTS, m -> runner.onRegistryEvent(m.body())).completion(),
          bus.<JsonObject>localConsumer(Addresses.WEBHOOKS_EVENTS, m -> onWebhookEvent(m.body())).completion()));
      });
  }

  @Override
  public Future<?> stop() {
    ownership.stopWatching();
    return Future.succeededFuture();
  }

  /** An operation on this node's jobs, which the cluster router reaches at this node's address for it. */
  private Future<Void> owned(EventBus bus, String address, Handler<Message<JsonObject>> handler) {
    return bus.<JsonObject>consumer(Addresses.onNode(address, config.nodeName()), handler).completion();
  }

  /**
   * After the stored jobs are back ({@link Ownership#restore}): a pull that was running when the server stopped
   * pauses and resumes from its part files once its agent connects; queued jobs keep waiting. Old jobs are pruned,
   * part files no job owns removed, and jobs whose agents are connected to another node handed over there.
   */
  private void afterRestore(int restored) {
    prune();
    runner.pauses().sweep();
    ownership.reconcile();
    if (restored > 0) {
      log.log(System.Logger.Level.INFO, "Restored " + restored + " job records");
    }
  }

  // ---- requests from operators -------------------------------------------------------------------------

  private void start(Message<JsonObject> m) {
    JsonObject body = m.body();
    String key = body.getString("idempotencyKey");
    Pull pull = new Pull(UUID.randomUUID(), body.getString("clientId"), body.getString("path"),
      body.getString("callbackUrl"), key, null, Instant.now());
    pull.priority = Pull.Priority.valueOf(Objects.requireNonNullElse(body.getString("priority"), "normal").toUpperCase(Locale.ROOT));
    pull.batchId = body.getString("batchId");
    pull.held = body.getBoolean("held", false);
    pull.deadline = body.getInstant("deadline");
    if (key == null) {
      create(pull).onSuccess(job -> m.reply(view(job))).onFailure(e -> fail(m, PullException.of(e)));
      return;
    }
    UUID earlier = idempotency.claim(key);
    if (earlier != null) {
      replay(m, jobs.get(earlier.toString()), pull);
      return;
    }
    create(pull)
      .onSuccess(job -> {
        idempotency.bind(key, job.requestId, job.createdAt);
        m.reply(view(job));
      })
      .onFailure(e -> {
        idempotency.release(key);
        fail(m, PullException.of(e));
      });
  }

  /** The Stripe rules: the same request gets the same job; a different one under the same key is refused. */
  private void replay(Message<JsonObject> m, Pull earlier, Pull asked) {
    if (earlier == null) {
      fail(m, new PullException(ErrorCode.IDEMPOTENCY_KEY_IN_USE, "a request with Idempotency-Key '"
        + asked.idempotencyKey + "' is still being handled; retry in a moment"));
    } else if (!Objects.equals(earlier.clientId, asked.clientId) || !Objects.equals(earlier.path, asked.path)
      || !Objects.equals(earlier.callbackUrl, asked.callbackUrl) || earlier.priority != asked.priority) {
      fail(m, new PullException(ErrorCode.IDEMPOTENCY_KEY_REUSED, "Idempotency-Key '" + asked.idempotencyKey
        + "' was used for a different request (job " + earlier.requestId + "); use a new key"));
    } else {
      m.reply(view(earlier), new DeliveryOptions().addHeader("replayed", "true"));
    }
  }

  private void retry(Message<JsonObject> m) {
    Pull old = job(m);
    if (old == null) {
      return;
    }
    if (old.status != Status.FAILED && old.status != Status.CANCELLED) {
      fail(m, new PullException(ErrorCode.DOWNLOAD_NOT_RETRYABLE, "pull " + old.requestId + " is "
        + old.status.name().toLowerCase() + "; only failed or cancelled pulls can be retried"));
      return;
    }
    Pull pull = new Pull(UUID.randomUUID(), old.clientId, old.path, old.callbackUrl, null, old.requestId.toString(),
      Instant.now());
    pull.priority = old.priority;
    pull.batchId = old.batchId;
    pull.held = m.body().getBoolean("held", false);
    pull.deadline = old.deadline;
    // Before the pull starts: its agent's DOWNLOAD_ACK opens the part files it takes over.
    boolean handed = runner.pauses().handOver(old, pull);
    create(pull).onSuccess(job -> m.reply(view(job))).onFailure(e -> {
      if (handed) {
        runner.pauses().handBack(pull, old);
      }
      fail(m, PullException.of(e));
    });
  }

  /** A batch lets its held member go ({@code requestId}); replies with the job. */
  private void release(Message<JsonObject> m) {
    Pull pull = job(m);
    if (pull == null) {
      return;
    }
    if (pull.held && pull.status == Status.QUEUED) {
      runner.release(pull);
    }
    m.reply(view(pull));
  }

  /**
   * Records a new job: started at once when its agent is connected and idle and a slot is free, else queued (its
   * agent offline or busy, or MAX_ACTIVE_PULLS running). The future completes once the record is on disk (the first
   * state event stores it), so an accepted job survives a crash.
   */
  private Future<Pull> create(Pull pull) {
    return vertx.eventBus().<JsonObject>request(Addresses.onNode(Addresses.REGISTRY_GET, config.nodeName()),
        new JsonObject().put("clientId", pull.clientId))
      .compose(reply -> {
        jobs.add(pull);
        return runner.begin(pull, reply.body()).recover(e -> {
          runner.abandon(pull);
          jobs.remove(pull);
          return Future.failedFuture(new PullException(ErrorCode.STORAGE_ERROR, "could not record the job: " + e.getMessage()));
        });
      })
      .map(recorded -> pull);
  }

  /** The job as the API shows it, with where it stands in the line for a slot, and why, while it waits there. */
  private JsonObject view(Pull pull) {
    JsonObject json = pull.toJson();
    if (pull.held && pull.status == Status.QUEUED) {
      return json.put("queuedReason", "BATCH_CONCURRENCY");
    }
    int position = jobs.positionOf(pull);
    return position == 0 || pull.status != Status.QUEUED ? json
      : json.put("queuePosition", position).put("queuedReason", runner.waitingFor(pull).name());
  }

  private void get(Message<JsonObject> m) {
    Pull pull = job(m);
    if (pull != null) {
      m.reply(view(pull).put("seq", pull.seq));
    }
  }

  private void list(Message<JsonObject> m) {
    JsonObject q = m.body();
    JobBook.Page page;
    try {
      page = jobs.page(q.getString("clientId"), q.getString("status"), q.getString("batchId"), q.getInteger("limit", 50),
        q.getString("cursor"));
    } catch (IllegalArgumentException e) {
      fail(m, new PullException(ErrorCode.VALIDATION_FAILED, "cursor is not one this server gave out"));
      return;
    }
    JsonArray items = new JsonArray();
    page.items().forEach(p -> items.add(view(p)));
    m.reply(new JsonObject().put("items", items).put("nextCursor", page.nextCursor()));
  }

  private void cancel(Message<JsonObject> m) {
    Pull pull = job(m);
    if (pull == null || !stillActive(m, pull)) {
      return;
    }
    runner.finish(pull, Status.CANCELLED, null, null);
    m.reply(view(pull));
  }

  private void pause(Message<JsonObject> m) {
    Pull pull = job(m);
    if (pull == null || !stillActive(m, pull)) {
      return;
    }
    if (pull.held) { // a resume would start it behind its batch's back
      fail(m, new PullException(ErrorCode.DOWNLOAD_NOT_ACTIVE, "pull " + pull.requestId + " waits for its batch "
        + pull.batchId + " to let it start; cancel it or the batch instead"));
      return;
    }
    runner.pauses().pause(pull, Pull.PauseReason.OPERATOR);
    m.reply(view(pull));
  }

  private void resume(Message<JsonObject> m) {
    Pull pull = job(m);
    if (pull == null) {
      return;
    }
    if (pull.status != Status.PAUSED) {
      fail(m, new PullException(ErrorCode.DOWNLOAD_NOT_PAUSED, "pull " + pull.requestId + " is "
        + pull.status.name().toLowerCase() + ", not paused"));
      return;
    }
    runner.pauses().resume(pull);
    m.reply(view(pull));
  }

  /** Whether the pull can still be cancelled or paused: not ended, and not being published; else m fails. */
  private static boolean stillActive(Message<JsonObject> m, Pull pull) {
    if (pull.terminal() || pull.committing) {
      fail(m, new PullException(ErrorCode.DOWNLOAD_NOT_ACTIVE, "pull " + pull.requestId + " is already "
        + (pull.committing && !pull.terminal() ? "being published" : pull.status.name().toLowerCase())));
      return false;
    }
    return true;
  }

  private Pull job(Message<JsonObject> m) {
    String id = m.body().getString("requestId");
    Pull pull = jobs.get(id);
    if (pull == null) {
      fail(m, new PullException(ErrorCode.DOWNLOAD_NOT_FOUND, "no pull with requestId '" + id + "'"));
    }
    return pull;
  }

  /** Drops finished jobs older than JOB_RETENTION, in memory and on disk; the pulled files stay. */
  private void prune() {
    List<Pull> old = jobs.prune(Instant.now().minusMillis(config.jobRetention()));
    idempotency.expire();
    if (old.isEmpty()) {
      return;
    }
    JsonArray ids = new JsonArray();
    old.forEach(p -> {
      runner.pauses().forget(p);
      idempotency.forget(p.idempotencyKey, p.requestId);
      ids.add(p.requestId.toString());
    });
    vertx.eventBus().request(Addresses.STORE_JOB_DELETE, new JsonObject().put("requestIds", ids))
      .onFailure(e -> log.log(System.Logger.Level.WARNING, "Could not delete old job records: " + e.getMessage()));
  }

  /** Shows on the job how its webhook delivery goes, as the webhook sender reports each attempt. */
  private void onWebhookEvent(JsonObject event) {
    Pull pull = jobs.get(event.getString("requestId"));
    if (pull == null) {
      return;
    }
    pull.webhook = new JsonObject()
      .put("status", event.getString("outcome"))
      .put("attempts", event.getInteger("attempt"))
      .put("lastStatusCode", event.getInteger("statusCode"))
      .put("lastError", event.getString("error"))
      .put("nextAttemptAt", event.getString("nextAttemptAt"))
      .put("updatedAt", event.getString("at"));
    runner.events().save(pull);
  }

  private static void fail(Message<?> m, PullException e) {
    m.fail(e.code().busCode(), e.getMessage());
  }
}
