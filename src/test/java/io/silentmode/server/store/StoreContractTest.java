package io.silentmode.server.store;

import io.silentmode.server.Addresses;
import io.silentmode.server.ServerConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What every job store answers on the {@code store.*} addresses, whichever keeps the records: run against the file
 * store ({@link FileStoreContractTest}) and PostgreSQL ({@link PgStoreContractTest}).
 */
@ExtendWith(VertxExtension.class)
abstract class StoreContractTest {

  /** Settings of a store with nothing in it yet; every call in one test names the same store. */
  abstract ServerConfig config();

  @Test
  void records_written_replaced_and_deleted_read_back_the_same_after_a_restart(Vertx vertx) {
    JsonObject first = job("11111111-1111-1111-1111-111111111111", "queued");
    JsonObject second = job("22222222-2222-2222-2222-222222222222", "completed");
    JsonArray clients = new JsonArray().add(new JsonObject().put("clientId", "shop-1").put("labels", new JsonObject().put("region", "eu")));

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
  }

  @Test
  void fields_the_store_does_not_know_pass_through_unchanged(Vertx vertx) {
    deploy(vertx);
    JsonObject job = job(UUID.randomUUID().toString(), "running").put("webhook", new JsonObject().put("status", "retrying")
      .put("attempts", 3)).put("parts", new JsonArray().add(1).add("two")).put("size", 1L << 40).put("ratio", 0.25)
      .put("note", "ünïcødé \"quoted\"").putNull("nothing").put("addedByAnotherBranch", new JsonObject().put("x", true));
    save(vertx, job);
    assertEquals(new JsonArray().add(job), request(vertx, Addresses.STORE_JOB_LOAD, new JsonObject()));
  }

  @Test
  void the_known_agents_are_replaced_whole_even_by_an_empty_list(Vertx vertx) {
    deploy(vertx);
    JsonArray three = new JsonArray().add(client("a")).add(client("b")).add(client("c"));
    request(vertx, Addresses.STORE_CLIENT_SAVE, new JsonObject().put("clients", three));
    JsonArray two = new JsonArray().add(client("c")).add(client("d"));
    request(vertx, Addresses.STORE_CLIENT_SAVE, new JsonObject().put("clients", two));
    assertEquals(sorted(two, "clientId"), sorted((JsonArray) request(vertx, Addresses.STORE_CLIENT_LOAD, new JsonObject()), "clientId"));
    request(vertx, Addresses.STORE_CLIENT_SAVE, new JsonObject().put("clients", new JsonArray()));
    assertEquals(new JsonArray(), request(vertx, Addresses.STORE_CLIENT_LOAD, new JsonObject()));
  }

  @Test
  void saves_of_a_job_sent_without_waiting_are_applied_in_the_order_sent(Vertx vertx) {
    deploy(vertx);
    List<String> ids = IntStream.range(0, 20).mapToObj(i -> UUID.randomUUID().toString()).toList();
    List<Future<?>> saves = new ArrayList<>();
    for (int seq = 0; seq < 25; seq++) {
      for (String id : ids) {
        // a growing record, as a job's is: a later save may be slower to write than an earlier one
        JsonObject job = job(id, "running").put("seq", seq).put("padding", "x".repeat(seq * 500));
        saves.add(vertx.eventBus().request(Addresses.STORE_JOB_SAVE, new JsonObject().put("job", job)));
      }
    }
    Future.all(saves).await();
    JsonArray all = (JsonArray) request(vertx, Addresses.STORE_JOB_LOAD, new JsonObject());
    assertEquals(ids.size(), all.size());
    all.forEach(j -> assertEquals(24, ((JsonObject) j).getInteger("seq"), "the last save sent is what stays"));
  }

  @Test
  void saves_under_way_when_the_store_stops_are_finished_and_answered(Vertx vertx) {
    String store = deploy(vertx);
    List<JsonObject> jobs = IntStream.range(0, 50).mapToObj(i -> job(UUID.randomUUID().toString(), "running")).toList();
    List<Future<?>> saves = new ArrayList<>(jobs.stream()
      .map(j -> vertx.eventBus().request(Addresses.STORE_JOB_SAVE, new JsonObject().put("job", j))).toList());
    saves.add(vertx.eventBus().request(Addresses.STORE_CLIENT_SAVE, new JsonObject().put("clients", new JsonArray().add(client("a")))));
    vertx.undeploy(store).await();

    Future.all(saves).await();
    deploy(vertx);
    assertEquals(jobs.size(), ((JsonArray) request(vertx, Addresses.STORE_JOB_LOAD, new JsonObject())).size());
    assertEquals(new JsonArray().add(client("a")), request(vertx, Addresses.STORE_CLIENT_LOAD, new JsonObject()));
  }

  @Test
  void a_thousand_jobs_load_back_whole_after_a_restart(Vertx vertx) {
    String store = deploy(vertx);
    List<JsonObject> jobs = IntStream.range(0, 1000)
      .mapToObj(i -> job(UUID.randomUUID().toString(), i % 3 == 0 ? "completed" : "queued").put("path", "/data/file-" + i + ".bin"))
      .toList();
    for (int from = 0; from < jobs.size(); from += 200) {
      // in bursts of 200, as the orchestrator restoring or a busy hour would send them
      Future.all(jobs.subList(from, from + 200).stream()
        .map(j -> vertx.eventBus().request(Addresses.STORE_JOB_SAVE, new JsonObject().put("job", j))).toList()).await();
    }
    vertx.undeploy(store).await();

    deploy(vertx);
    JsonArray loaded = (JsonArray) request(vertx, Addresses.STORE_JOB_LOAD, new JsonObject());
    assertEquals(sorted(new JsonArray(new ArrayList<>(jobs)), "requestId"), sorted(loaded, "requestId"));
  }

  String deploy(Vertx vertx) {
    return vertx.deployVerticle(new JobStoreVerticle(config())).await();
  }

  static void save(Vertx vertx, JsonObject job) {
    request(vertx, Addresses.STORE_JOB_SAVE, new JsonObject().put("job", job));
  }

  static Object request(Vertx vertx, String address, JsonObject body) {
    return vertx.eventBus().request(address, body).await().body();
  }

  static JsonObject job(String id, String status) {
    return new JsonObject().put("requestId", id).put("clientId", "shop-1").put("status", status);
  }

  private static JsonObject client(String id) {
    return new JsonObject().put("clientId", id).put("lastSeenAt", "2026-01-01T00:00:00Z");
  }

  private static JsonArray sorted(JsonArray records, String idField) {
    List<JsonObject> list = new ArrayList<>();
    records.forEach(r -> list.add((JsonObject) r));
    list.sort(Comparator.comparing(r -> r.getString(idField)));
    return new JsonArray(new ArrayList<>(list));
  }
}
