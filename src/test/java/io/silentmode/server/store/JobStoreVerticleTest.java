package io.silentmode.server.store;

import io.silentmode.server.Addresses;
import io.silentmode.server.ServerConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.ThreadingModel;
import io.vertx.core.DeploymentOptions;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What the store confirmed is read back by the next store on the same DATA_DIR, and nothing else lies there. */
@ExtendWith(VertxExtension.class)
class JobStoreVerticleTest {

  @TempDir
  Path dir;

  @Test
  void records_written_replaced_and_deleted_read_back_the_same_after_a_restart(Vertx vertx) throws Exception {
    JsonObject first = job("11111111-1111-1111-1111-111111111111", "queued");
    JsonObject second = job("22222222-2222-2222-2222-222222222222", "completed");
    JsonArray clients = new JsonArray().add(new JsonObject().put("clientId", "shop-1"));

    String store = deploy(vertx);
    save(vertx, first);
    save(vertx, second);
    save(vertx, first.copy().put("status", "failed"));
    request(vertx, Addresses.STORE_JOB_DELETE, new JsonObject().put("requestIds", new JsonArray().add(second.getString("requestId"))));
    request(vertx, Addresses.STORE_CLIENT_SAVE, new JsonObject().put("clients", clients));
    vertx.undeploy(store).await();

    deploy(vertx);
    assertEquals(new JsonArray().add(first.copy().put("status", "failed")), request(vertx, Addresses.STORE_JOB_LOAD, new JsonObject()));
    assertEquals(clients, request(vertx, Addresses.STORE_CLIENT_LOAD, new JsonObject()));
    try (Stream<Path> files = Files.list(dir.resolve("data/jobs"))) {
      assertEquals(List.of(first.getString("requestId") + ".json"),
        files.map(f -> f.getFileName().toString()).toList(), "no temp file left behind");
    }
  }

  private String deploy(Vertx vertx) {
    ServerConfig config = ServerConfig.defaults().setDataDir(dir.resolve("data").toString());
    return vertx.deployVerticle(new JobStoreVerticle(config), new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)).await();
  }

  private static void save(Vertx vertx, JsonObject job) {
    request(vertx, Addresses.STORE_JOB_SAVE, new JsonObject().put("job", job));
  }

  private static Object request(Vertx vertx, String address, JsonObject body) {
    return vertx.eventBus().request(address, body).await().body();
  }

  private static JsonObject job(String id, String status) {
    return new JsonObject().put("requestId", id).put("clientId", "shop-1").put("status", status);
  }
}
