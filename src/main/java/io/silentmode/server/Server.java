package io.silentmode.server;

import io.silentmode.server.download.OrchestratorVerticle;
import io.silentmode.server.gateway.GatewayVerticle;
import io.silentmode.server.registry.RegistryVerticle;
import io.silentmode.server.storage.DiskWriterVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.List;

/** Deploys the server's verticles; the gateway last, so agents never reach a half-started server. */
public final class Server {

  private final Vertx vertx;
  private final GatewayVerticle gateway;
  private final List<String> deployments;

  private Server(Vertx vertx, GatewayVerticle gateway, List<String> deployments) {
    this.vertx = vertx;
    this.gateway = gateway;
    this.deployments = deployments;
  }

  public static Future<Server> start(Vertx vertx, ServerConfig config) {
    ChunkCodec.register(vertx);
    GatewayVerticle gateway = new GatewayVerticle(config);
    return Future.all(
        vertx.deployVerticle(new RegistryVerticle(config)),
        vertx.deployVerticle(new DiskWriterVerticle(config), new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)),
        vertx.deployVerticle(new OrchestratorVerticle(config)))
      .compose(core -> vertx.deployVerticle(gateway).map(id -> {
        List<String> ids = new ArrayList<String>(core.list());
        ids.add(id);
        return new Server(vertx, gateway, ids);
      }));
  }

  /** The port agents dial, as bound. */
  public int wsPort() {
    return gateway.actualPort();
  }

  public Future<Void> stop() {
    return Future.all(deployments.stream().map(vertx::undeploy).toList()).mapEmpty();
  }
}
