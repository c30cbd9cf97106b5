package io.silentmode.server;

import io.silentmode.server.audit.AuditVerticle;
import io.silentmode.server.download.OrchestratorVerticle;
import io.silentmode.server.gateway.GatewayVerticle;
import io.silentmode.server.http.ApiVerticle;
import io.silentmode.server.metrics.Metrics;
import io.silentmode.server.metrics.MetricsVerticle;
import io.silentmode.server.registry.RegistryVerticle;
import io.silentmode.server.storage.DiskWriterVerticle;
import io.silentmode.server.store.JobStoreVerticle;
import io.silentmode.server.store.Secrets;
import io.silentmode.server.webhook.WebhookVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Deploys the server's verticles in dependency order: the store, then what only reads from it (registry, disk
 * writer), then the orchestrator (which restores jobs and may publish their outcome), and last the two doors,
 * the agents' gateway and the API, so nobody reaches a half-started server.
 */
public final class Server {

  private static final DeploymentOptions WORKER = new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER);

  private final Vertx vertx;
  private final GatewayVerticle gateway;
  private final ApiVerticle api;
  private final List<String> deployments;

  private Server(Vertx vertx, GatewayVerticle gateway, ApiVerticle api, List<String> deployments) {
    this.vertx = vertx;
    this.gateway = gateway;
    this.api = api;
    this.deployments = deployments;
  }

  public static Future<Server> start(Vertx vertx, ServerConfig settings) {
    ChunkCodec.register(vertx);
    List<String> ids = new ArrayList<>();
    return vertx.executeBlocking(() -> withSecrets(settings)).compose(config -> {
      GatewayVerticle gateway = new GatewayVerticle(config);
      ApiVerticle api = new ApiVerticle(config, Metrics.scrapeHandler(vertx));
      return deploy(vertx, ids, WORKER, new JobStoreVerticle(config))
        .compose(v -> Future.all(
          deploy(vertx, ids, new DeploymentOptions(), new RegistryVerticle(config)),
          deploy(vertx, ids, WORKER, new DiskWriterVerticle(config)),
          deploy(vertx, ids, new DeploymentOptions(), new WebhookVerticle(config)),
          deploy(vertx, ids, new DeploymentOptions(), new MetricsVerticle(config)),
          deploy(vertx, ids, WORKER, new AuditVerticle(config))))
        .compose(v -> deploy(vertx, ids, new DeploymentOptions(), new OrchestratorVerticle(config)))
        .compose(v -> Future.all(
          deploy(vertx, ids, new DeploymentOptions(), gateway),
          deploy(vertx, ids, new DeploymentOptions(), api)))
        .map(v -> new Server(vertx, gateway, api, ids))
        .recover(e -> Future.all(ids.stream().map(vertx::undeploy).toList()).transform(x -> Future.failedFuture(e)));
    });
  }

  private static Future<Void> deploy(Vertx vertx, List<String> ids, DeploymentOptions options, VerticleBase verticle) {
    return vertx.deployVerticle(verticle, options).map(id -> {
      synchronized (ids) {
        ids.add(id);
      }
      return null;
    });
  }

  /** Keys the operator left unset are generated once under DATA_DIR, so links and signatures survive restarts. */
  private static ServerConfig withSecrets(ServerConfig settings) throws Exception {
    ServerConfig config = settings.copy();
    Path dataDir = Path.of(config.dataDir());
    if (config.linkSecret() == null) {
      config.setLinkSecret(Secrets.loadOrCreate(dataDir, "link.key", ""));
    }
    if (config.webhookSecret() == null) {
      config.setWebhookSecret(Secrets.loadOrCreate(dataDir, "webhook.secret", "whsec_"));
    }
    return config;
  }

  /** The port agents dial, as bound. */
  public int wsPort() {
    return gateway.actualPort();
  }

  /** The port of the REST API, as bound. */
  public int apiPort() {
    return api.actualPort();
  }

  /**
   * Undeploys one verticle at a time, the last deployed first: the gateway stops taking frames before the
   * orchestrator goes, and the orchestrator before the disk writer, so no chunk frame is left addressed to a
   * verticle that is gone, unreleased.
   */
  public Future<Void> stop() {
    List<String> reversed = new ArrayList<>(deployments);
    Collections.reverse(reversed);
    Future<Void> stopped = Future.succeededFuture();
    for (String id : reversed) {
      stopped = stopped.compose(v -> vertx.undeploy(id));
    }
    return stopped;
  }
}
