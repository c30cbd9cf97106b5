package io.silentmode.server;

import io.silentmode.server.audit.AuditVerticle;
import io.silentmode.server.cluster.ClusterRouterVerticle;
import io.silentmode.server.cluster.Membership;
import io.silentmode.server.auth.TokensVerticle;
import io.silentmode.server.batch.BatchVerticle;
import io.silentmode.server.download.OrchestratorVerticle;
import io.silentmode.server.enrollment.EnrollmentVerticle;
import io.silentmode.server.gateway.GatewayVerticle;
import io.silentmode.server.http.ApiVerticle;
import io.silentmode.server.metrics.Metrics;
import io.silentmode.server.metrics.MetricsVerticle;
import io.silentmode.server.registry.RegistryVerticle;
import io.silentmode.server.storage.DiskWriterVerticle;
import io.silentmode.server.store.JobStoreVerticle;
import io.silentmode.server.store.Secrets;
import io.silentmode.server.tls.CertificateReloader;
import io.silentmode.server.tls.ServerTls;
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
 * writer, API tokens), then the orchestrator (which restores jobs and may publish their outcome), the batches (which
 * ask it how their members stand), and last the two doors,
 * the agents' gateway and the API, so nobody reaches a half-started server; with TLS, the certificate reloader after
 * them, once there are listeners to reload.
 */
public final class Server {

  private static final DeploymentOptions WORKER = new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER);

  private final Vertx vertx;
  private final GatewayVerticle gateway;
  private final ApiVerticle api;
  private final ServerTls tls;
  private final List<String> deployments;

  private Server(Vertx vertx, GatewayVerticle gateway, ApiVerticle api, ServerTls tls, List<String> deployments) {
    this.vertx = vertx;
    this.gateway = gateway;
    this.api = api;
    this.tls = tls;
    this.deployments = deployments;
  }

  private record Prepared(ServerConfig config, ServerTls tls) {
  }

  public static Future<Server> start(Vertx vertx, ServerConfig settings) {
    ChunkCodec.register(vertx);
    List<String> ids = new ArrayList<>();
    return vertx.executeBlocking(() -> prepare(settings)).compose(prepared -> {
      ServerConfig config = prepared.config();
      Membership membership = Membership.of(vertx, config.nodeName());
      ServerTls tls = prepared.tls();
      GatewayVerticle gateway = new GatewayVerticle(config, tls);
      ApiVerticle api = new ApiVerticle(config, tls, Metrics.scrapeHandler(vertx), membership);
      return deploy(vertx, ids, new DeploymentOptions(), new JobStoreVerticle(config))
        .compose(v -> Future.all(List.of(
          deploy(vertx, ids, new DeploymentOptions(), new RegistryVerticle(config)),
          deploy(vertx, ids, WORKER, new DiskWriterVerticle(config, membership.clustered())),
          deploy(vertx, ids, new DeploymentOptions(), new WebhookVerticle(config)),
          deploy(vertx, ids, new DeploymentOptions(), new MetricsVerticle(config)),
          deploy(vertx, ids, WORKER, new AuditVerticle(config)),
          deploy(vertx, ids, new DeploymentOptions(), new TokensVerticle(config)),
          deploy(vertx, ids, WORKER, new EnrollmentVerticle(config)))))
        .compose(v -> deploy(vertx, ids, new DeploymentOptions(), new ClusterRouterVerticle(membership)))
        .compose(v -> deploy(vertx, ids, new DeploymentOptions(), new OrchestratorVerticle(config, membership)))
        .compose(v -> deploy(vertx, ids, new DeploymentOptions(), new BatchVerticle(config)))
        .compose(v -> Future.all(
          deploy(vertx, ids, new DeploymentOptions(), gateway),
          deploy(vertx, ids, new DeploymentOptions(), api)))
        .compose(v -> !tls.on() ? Future.succeededFuture() : deploy(vertx, ids, new DeploymentOptions(),
          new CertificateReloader(Path.of(config.tlsCert()), Path.of(config.tlsKey()), config.tlsReloadInterval(), tls)))
        .map(v -> new Server(vertx, gateway, api, tls, ids))
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

  private static Prepared prepare(ServerConfig settings) throws Exception {
    ServerConfig config = withSecrets(settings.copy());
    return new Prepared(config, ServerTls.from(config));
  }

  /** Keys the operator left unset are generated once under DATA_DIR, so links and signatures survive restarts. */
  private static ServerConfig withSecrets(ServerConfig config) throws Exception {
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

  /** TLS of both ports: off, or the certificate they present now. */
  public ServerTls tls() {
    return tls;
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
