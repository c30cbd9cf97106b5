package io.silentmode.server.http;

import io.silentmode.server.Addresses;
import io.silentmode.server.ServerConfig;
import io.silentmode.server.cluster.Membership;
import io.silentmode.server.storage.FileStores;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;

import java.nio.file.Files;
import java.nio.file.Path;

/** Liveness and readiness, with vertx-health-check. */
final class Readiness {

  private static final long CHECK_TIMEOUT_MS = 2_000;
  private static final System.Logger log = System.getLogger(Readiness.class.getName());

  private Readiness() {
  }

  /** Up while the event loop answers at all. */
  static HealthCheckHandler liveness(Vertx vertx) {
    return HealthCheckHandler.create(vertx).register("server", p -> p.complete(Status.OK()));
  }

  /**
   * Ready when the verticles answer over the event bus, both directories take writes with room to spare, with
   * DATABASE_URL the job store reaches PostgreSQL, and in a cluster this node is a running member.
   */
  static HealthCheckHandler readiness(Vertx vertx, ServerConfig config, Membership membership) {
    HealthCheckHandler checks = HealthCheckHandler.create(vertx);
    if (membership.clustered()) {
      checks.register("cluster", CHECK_TIMEOUT_MS, p -> vertx.executeBlocking(membership::status).onComplete(ar -> p.complete(
        ar.failed() ? Status.KO(new JsonObject().put("error", ar.cause().getMessage()))
          : new Status().setOk(ar.result().getBoolean("running")).setData(ar.result()))));
    }
    if (config.databaseUrl() != null) {
      checks.register("database", CHECK_TIMEOUT_MS, p -> vertx.eventBus()
        .request(Addresses.STORE_PING, new JsonObject(), new DeliveryOptions().setSendTimeout(CHECK_TIMEOUT_MS))
        .onSuccess(r -> p.complete(Status.OK()))
        // the store's answer names no host nor user; the server log has the cause
        .onFailure(e -> p.complete(Status.KO(new JsonObject().put("error", "the job store cannot reach PostgreSQL")))));
    }
    return checks
      .register("event-bus", CHECK_TIMEOUT_MS, p -> vertx.eventBus()
        .request(Addresses.onNode(Addresses.REGISTRY_LIST, config.nodeName()), new JsonObject().put("limit", 1), new DeliveryOptions().setSendTimeout(CHECK_TIMEOUT_MS))
        .onSuccess(r -> p.complete(Status.OK()))
        .onFailure(e -> p.complete(Status.KO(new JsonObject().put("error", e.getMessage())))))
      .register("download-dir", CHECK_TIMEOUT_MS, p -> directory(vertx, Path.of(config.downloadDir()), config.minFreeSpace(), p))
      .register("data-dir", CHECK_TIMEOUT_MS, p -> directory(vertx, Path.of(config.dataDir()), 0, p));
  }

  private static void directory(Vertx vertx, Path dir, long minFree, Promise<Status> result) {
    vertx.executeBlocking(() -> {
      Files.createDirectories(dir);
      long free = Files.getFileStore(dir).getUsableSpace();
      // No path here: readiness is open to anyone who reaches PORT, and the operator knows the setting.
      JsonObject data = new JsonObject().put("freeBytes", free).put("minFreeBytes", minFree);
      if (!Files.isWritable(dir)) {
        return Status.KO(data.put("error", "not writable"));
      }
      return free < minFree ? Status.KO(data.put("error", "less free space than " + minFree + " bytes")) : Status.OK(data);
    }).onComplete(ar -> result.complete(ar.succeeded() ? ar.result()
      : unusable(dir, ar.cause())));
  }

  private static Status unusable(Path dir, Throwable cause) {
    log.log(System.Logger.Level.WARNING, "Readiness: " + dir + " is not usable", cause);
    return Status.KO(new JsonObject().put("error", "not usable (" + cause.getClass().getSimpleName()
      + "); the server log has the path and cause"));
  }

  /**
   * Whether DOWNLOAD_DIR has MIN_FREE_SPACE free, measured on the nearest directory that exists; true when it
   * cannot be measured, so that the pull itself reports what is wrong.
   */
  static Future<Boolean> hasRoom(Vertx vertx, ServerConfig config) {
    return vertx.executeBlocking(() -> FileStores.of(Path.of(config.downloadDir())).getUsableSpace() >= config.minFreeSpace())
      .otherwise(true);
  }
}
