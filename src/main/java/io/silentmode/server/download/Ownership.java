package io.silentmode.server.download;

import io.silentmode.protocol.ErrorCode;
import io.silentmode.server.Addresses;
import io.silentmode.server.ServerConfig;
import io.silentmode.server.cluster.ClusterRouterVerticle;
import io.silentmode.server.cluster.Membership;
import io.silentmode.server.download.Pull.Status;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Which node owns which job, and how a job changes hands. A node owns the jobs of the agents connected to it; each
 * job record says its owner ({@code node}). At start a node takes back its own records, and claims those of owners
 * that are not members (a node that died, or was renamed); when a member leaves, the others claim its jobs the same
 * way, one at a time under a cluster-wide lock. When an agent registers on another node, its jobs are handed over
 * there: paused, part files closed (DOWNLOAD_DIR is shared), stored by the new owner, and only then forgotten here,
 * so a crash in between leaves a job in two places, never in none. Runs on the orchestrator's event loop.
 */
final class Ownership {

  private static final System.Logger log = System.getLogger(Ownership.class.getName());
  private static final long KEY_TTL_MS = 24 * 3_600_000L;
  /** Held while a node takes back or claims records, so two nodes never claim the same job. */
  private static final String CLAIM_LOCK = "silentmode.job-claims";
  private static final long CLAIM_LOCK_TIMEOUT_MS = 60_000;

  private final Vertx vertx;
  private final ServerConfig config;
  private final Membership membership;
  private final JobBook jobs;
  private final PullRunner runner;
  private final Idempotency idempotency;
  /** Agents whose jobs are being handed over: one handover per agent at a time. */
  private final Set<String> moving = new HashSet<>();
  private Runnable stopWatching = () -> { };

  Ownership(Vertx vertx, ServerConfig config, Membership membership, JobBook jobs, PullRunner runner, Idempotency idempotency) {
    this.vertx = vertx;
    this.config = config;
    this.membership = membership;
    this.jobs = jobs;
    this.runner = runner;
    this.idempotency = idempotency;
  }

  /**
   * Loads the stored jobs and takes this node's own (records from before owners were recorded included), then claims
   * those whose owner is not a member. Completes with how many jobs this node now has.
   */
  Future<Integer> restore() {
    return claim(record -> {
      String owner = record.getString("node");
      return owner == null || owner.equals(config.nodeName()) || !membership.members().contains(owner);
    });
  }

  /** From now on, the jobs of each member that leaves are claimed: by the first of the others to get the lock. */
  void watchMembers() {
    stopWatching = membership.onMemberLeft(this::onMemberLeft);
  }

  void stopWatching() {
    stopWatching.run();
  }

  private void onMemberLeft(String node) {
    claim(record -> node.equals(record.getString("node"))).onSuccess(n -> reconcile());
  }

  /**
   * Under the claim lock, re-reads the store and takes every job record {@code mine} accepts and this node does not
   * have yet: stored as this node's, its Idempotency-Key claimed, its timers armed, and a running pull paused to
   * resume from its part files once its agent is back.
   */
  private Future<Integer> claim(Predicate<JsonObject> mine) {
    return vertx.sharedData().getLockWithTimeout(CLAIM_LOCK, CLAIM_LOCK_TIMEOUT_MS).compose(lock ->
      vertx.eventBus().<JsonArray>request(Addresses.STORE_JOB_LOAD, new JsonObject())
        .compose(loaded -> {
          List<JsonObject> records = loaded.body().stream().map(JsonObject.class::cast)
            .filter(r -> mine.test(r) && jobs.get(r.getString("requestId")) == null).toList();
          List<Pull> taken = records.stream().map(Pull::fromRecord).toList();
          taken.forEach(jobs::add);
          List<Future<Void>> claimed = new ArrayList<>();
          for (int i = 0; i < taken.size(); i++) {
            if (!config.nodeName().equals(records.get(i).getString("node"))) { // stored as this node's from now on
              Pull pull = taken.get(i);
              claimed.add(runner.events().save(pull).compose(v -> claimKey(pull)));
            }
          }
          return Future.all(claimed).map(v -> {
            taken.forEach(this::take);
            if (!taken.isEmpty()) {
              log.log(System.Logger.Level.INFO, "Took " + taken.size() + " job record(s)");
              runner.fill(); // those whose agents are connected here start now
            }
            return jobs.size();
          });
        })
        .onComplete(ar -> lock.release()));
  }

  /**
   * A job now owned here (restored, claimed or handed over): its key, its timers (queue timeout, pause's or kept
   * part files' RESUME_TIMEOUT), its final webhook's delivery if one was under way.
   */
  private void take(Pull pull) {
    idempotency.restore(pull.idempotencyKey, pull.requestId, pull.createdAt);
    runner.pauses().restore(pull);
    if (pull.status == Status.QUEUED) {
      if (pull.queuedUntil != null) { // a held batch member waits for its batch, not a clock
        runner.armQueueTimer(pull);
      }
    } else if (pull.webhook != null && Set.of("pending", "retrying").contains(pull.webhook.getString("status"))) {
      vertx.eventBus().send(Addresses.WEBHOOKS_RESUME, pull.toJson());
    }
  }

  /** {@code event}: {@code {clientId, node}}, an agent that registered on a node, published to every node. */
  void onAgentConnected(JsonObject event) {
    String node = event.getString("node");
    if (!config.nodeName().equals(node)) {
      handOver(event.getString("clientId"), node);
    }
  }

  /** The agents of this node's unfinished jobs that are connected to another node get their jobs there. */
  void reconcile() {
    jobs.all().stream().filter(p -> !p.terminal()).map(p -> p.clientId).distinct().forEach(clientId ->
      vertx.eventBus().<JsonObject>request(Addresses.REGISTRY_GET, new JsonObject().put("clientId", clientId))
        .onSuccess(r -> {
          if (r.body().getBoolean("connected")) {
            onAgentConnected(r.body());
          }
        }));
  }

  private void handOver(String clientId, String to) {
    List<Pull> pulls = jobs.all().stream().filter(p -> p.clientId.equals(clientId) && !p.terminal() && !p.committing).toList();
    if (pulls.isEmpty() || !moving.add(clientId)) {
      return;
    }
    for (Pull pull : pulls) {
      if (pull.status == Status.IN_PROGRESS) {
        runner.pauses().pause(pull, Pull.PauseReason.AGENT_DISCONNECTED);
      }
      runner.cancelTimers(pull);
    }
    JsonArray records = new JsonArray();
    pulls.forEach(p -> records.add(p.toRecord()));
    // The disk writer takes one message at a time: once this close is answered, the pause's close is done too.
    Future.all(pulls.stream().filter(p -> p.parts)
        .map(p -> vertx.eventBus().request(Addresses.STORAGE_CLOSE, new JsonObject().put("partId", p.partId))).toList())
      .compose(v -> vertx.eventBus().request(Addresses.onNode(Addresses.DOWNLOADS_ADOPT, to), new JsonObject().put("jobs", records)))
      .onComplete(ar -> moving.remove(clientId))
      .onSuccess(v -> forget(pulls, to))
      .onFailure(e -> {
        log.log(System.Logger.Level.WARNING, "Could not hand the jobs of " + clientId + " to node " + to + ": "
          + e.getMessage() + "; they stay here");
        pulls.forEach(this::take); // their timers again, as before the handover was tried
      });
  }

  private void forget(List<Pull> pulls, String to) {
    JsonArray ids = new JsonArray();
    for (Pull pull : pulls) {
      jobs.remove(pull);
      idempotency.forget(pull.idempotencyKey, pull.requestId);
      ids.add(pull.requestId.toString());
    }
    log.log(System.Logger.Level.INFO, "Handed " + pulls.size() + " job(s) of " + pulls.get(0).clientId + " to node " + to);
    // A shared store already holds them as the new owner's: only a store of this node's own drops them.
    if (config.databaseUrl() == null) {
      vertx.eventBus().request(Addresses.STORE_JOB_DELETE, new JsonObject().put("requestIds", ids))
        .onFailure(e -> log.log(System.Logger.Level.WARNING, "Could not delete handed-over job records: " + e.getMessage()));
    }
  }

  /** Jobs another node hands over ({@code {jobs}}: their records): stored here before the reply, then resumed. */
  void adopt(Message<JsonObject> m) {
    List<Pull> pulls = m.body().getJsonArray("jobs").stream().map(r -> Pull.fromRecord((JsonObject) r))
      .filter(p -> jobs.get(p.requestId.toString()) == null).toList();
    pulls.forEach(jobs::add);
    Future.all(pulls.stream().map(p -> runner.events().save(p).compose(v -> claimKey(p))).toList())
      .onSuccess(v -> {
        pulls.forEach(this::take);
        m.reply(new JsonObject().put("adopted", pulls.size()));
        runner.fill();
      })
      .onFailure(e -> {
        pulls.forEach(jobs::remove);
        m.fail(ErrorCode.STORAGE_ERROR.busCode(), "could not store handed-over jobs: " + e.getMessage());
      });
  }

  /** A retried POST with the job's Idempotency-Key now reaches this node. */
  private Future<Void> claimKey(Pull pull) {
    if (pull.idempotencyKey == null) {
      return Future.succeededFuture();
    }
    return vertx.sharedData().<String, String>getAsyncMap(ClusterRouterVerticle.IDEMPOTENCY_MAP)
      .compose(map -> map.put(pull.idempotencyKey, config.nodeName(), KEY_TTL_MS));
  }
}
