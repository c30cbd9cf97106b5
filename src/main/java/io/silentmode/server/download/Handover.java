package io.silentmode.server.download;

import io.silentmode.protocol.ErrorCode;
import io.silentmode.server.Addresses;
import io.silentmode.server.ServerConfig;
import io.silentmode.server.cluster.ClusterRouterVerticle;
import io.silentmode.server.download.Pull.Status;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Moves an agent's jobs to the node it now dials. A node owns the jobs of the agents connected to it; when an agent
 * registers on another node (a load balancer sent it there, its node stopped), the old owner pauses its running pull,
 * closes the part files (DOWNLOAD_DIR is shared), and hands every job of that agent that has not ended to the new
 * node, which stores them, takes their Idempotency-Keys and resumes them; only then does the old owner forget them.
 * A crash in between leaves a job on both nodes' stores, never on none. Runs on the orchestrator's event loop.
 */
final class Handover {

  private static final System.Logger log = System.getLogger(Handover.class.getName());
  private static final long KEY_TTL_MS = 24 * 3_600_000L;

  private final Vertx vertx;
  private final ServerConfig config;
  private final JobBook jobs;
  private final PullRunner runner;
  private final Idempotency idempotency;
  /** Agents whose jobs are being handed over: one handover per agent at a time. */
  private final Set<String> moving = new HashSet<>();

  Handover(Vertx vertx, ServerConfig config, JobBook jobs, PullRunner runner, Idempotency idempotency) {
    this.vertx = vertx;
    this.config = config;
    this.jobs = jobs;
    this.runner = runner;
    this.idempotency = idempotency;
  }

  /** {@code event}: {@code {clientId, node}}, an agent that registered on a node, published to every node. */
  void onAgentConnected(JsonObject event) {
    String node = event.getString("node");
    if (!config.nodeName().equals(node)) {
      handOver(event.getString("clientId"), node);
    }
  }

  /** After a restart: the agents of the restored jobs that are connected to another node get their jobs there. */
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
        pulls.forEach(this::rearm);
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
    vertx.eventBus().request(Addresses.STORE_JOB_DELETE, new JsonObject().put("requestIds", ids))
      .onFailure(e -> log.log(System.Logger.Level.WARNING, "Could not delete handed-over job records: " + e.getMessage()));
  }

  /** Jobs another node hands over ({@code {jobs}}: their records): stored here before the reply, then resumed. */
  void adopt(Message<JsonObject> m) {
    List<Pull> pulls = m.body().getJsonArray("jobs").stream().map(r -> Pull.fromRecord((JsonObject) r))
      .filter(p -> jobs.get(p.requestId.toString()) == null).toList();
    pulls.forEach(jobs::add);
    Future.all(pulls.stream().map(p -> runner.events().save(p).compose(v -> claimKey(p))).toList())
      .onSuccess(v -> {
        for (Pull pull : pulls) {
          idempotency.restore(pull.idempotencyKey, pull.requestId, pull.createdAt);
          rearm(pull);
        }
        m.reply(new JsonObject().put("adopted", pulls.size()));
        runner.fill();
      })
      .onFailure(e -> {
        pulls.forEach(jobs::remove);
        m.fail(ErrorCode.STORAGE_ERROR.busCode(), "could not store handed-over jobs: " + e.getMessage());
      });
  }

  /** The timers of a waiting job: its queue timeout, or its pause's RESUME_TIMEOUT. */
  private void rearm(Pull pull) {
    if (pull.status == Status.QUEUED) {
      runner.armQueueTimer(pull);
    } else {
      runner.pauses().restore(pull);
    }
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
