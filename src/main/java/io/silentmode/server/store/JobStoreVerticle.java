package io.silentmode.server.store;

import io.silentmode.protocol.ErrorCode;
import io.silentmode.server.Addresses;
import io.silentmode.server.ServerConfig;
import io.silentmode.server.store.pg.PgRecordStore;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

import static io.silentmode.server.store.RecordKind.BATCHES;
import static io.silentmode.server.store.RecordKind.CLIENTS;
import static io.silentmode.server.store.RecordKind.ENROLLMENTS;
import static io.silentmode.server.store.RecordKind.JOBS;
import static io.silentmode.server.store.RecordKind.TOKENS;

/**
 * The job store: answers the {@code store.*} addresses from a {@link RecordStore}, files under DATA_DIR or, with
 * DATABASE_URL, PostgreSQL. A save is answered once the store has made it durable. Runs on an event loop: the file
 * store moves its blocking I/O to a worker thread itself, and the PostgreSQL client does not block.
 */
public class JobStoreVerticle extends VerticleBase {

  private static final System.Logger log = System.getLogger(JobStoreVerticle.class.getName());

  private final ServerConfig config;
  private RecordStore store;
  /** What the store is doing now, for {@link #stop()} to wait for. */
  private final Set<Future<?>> pending = new HashSet<>();

  public JobStoreVerticle(ServerConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    Future<RecordStore> opened = config.databaseUrl() == null
      ? FileRecordStore.open(vertx, Path.of(config.dataDir()))
      : PgRecordStore.open(vertx, config.databaseUrl(), config.databasePoolSize());
    // One PostgreSQL may serve all the nodes of a cluster; each node's registry keeps the agents it has seen.
    RecordKind clients = config.databaseUrl() == null ? CLIENTS : CLIENTS.of(config.nodeName());
    return opened.compose(s -> {
      store = s;
      return Future.all(List.of(
        bind(Addresses.STORE_JOB_SAVE, b -> store.put(JOBS, b.getJsonObject("job"))),
        bind(Addresses.STORE_JOB_DELETE, b -> store.delete(JOBS, ids(b.getJsonArray("requestIds")))),
        bind(Addresses.STORE_JOB_LOAD, b -> store.all(JOBS)),
        bind(Addresses.STORE_CLIENT_SAVE, b -> store.replaceAll(clients, b.getJsonArray("clients"))),
        bind(Addresses.STORE_CLIENT_LOAD, b -> store.all(clients)),
        bind(Addresses.STORE_BATCH_SAVE, b -> store.put(BATCHES, b.getJsonObject("batch"))),
        bind(Addresses.STORE_BATCH_DELETE, b -> store.delete(BATCHES, ids(b.getJsonArray("batchIds")))),
        bind(Addresses.STORE_BATCH_LOAD, b -> store.all(BATCHES)),
        bind(Addresses.STORE_ENROLLMENT_SAVE, b -> store.put(ENROLLMENTS, b.getJsonObject("enrollment"))),
        bind(Addresses.STORE_ENROLLMENT_LOAD, b -> store.all(ENROLLMENTS)),
        bind(Addresses.STORE_TOKEN_SAVE, b -> store.replaceAll(TOKENS, b.getJsonArray("tokens"))),
        bind(Addresses.STORE_TOKEN_LOAD, b -> store.all(TOKENS)),
        bind(Addresses.STORE_PING, b -> store.ping())));
    });
  }

  /** Lets the writes under way finish first: one cut short would answer a save that came before the stop with a failure. */
  @Override
  public Future<?> stop() {
    return store == null ? Future.succeededFuture() : Future.join(List.copyOf(pending)).transform(x -> store.close());
  }

  /** Answers {@code address} with what {@code action} gives: a JSON array, or {@code true} once a change is durable. */
  private Future<Void> bind(String address, Function<JsonObject, Future<?>> action) {
    return vertx.eventBus().<JsonObject>localConsumer(address, m -> {
      Future<?> done = run(action, m.body());
      pending.add(done);
      done.onComplete(ar -> {
        pending.remove(done);
        reply(m, ar);
      });
    }).completion();
  }

  private static Future<?> run(Function<JsonObject, Future<?>> action, JsonObject body) {
    try {
      return action.apply(body);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private void reply(Message<JsonObject> m, AsyncResult<?> ar) {
    if (ar.succeeded()) {
      m.reply(ar.result() instanceof JsonArray records ? records : Boolean.TRUE);
      return;
    }
    Throwable e = ar.cause();
    if (Addresses.STORE_PING.equals(m.address())) {
      // readiness asks every few seconds: one line, not a stack trace each time
      log.log(System.Logger.Level.WARNING, "Job store " + store.where() + " is not reachable: " + e);
    } else {
      log.log(System.Logger.Level.ERROR, "Job store failed on " + m.address(), e);
    }
    // the message may reach API clients and webhooks: paths and details stay in the log
    m.fail(ErrorCode.STORAGE_ERROR.busCode(), "the job store " + store.where() + " failed ("
      + (e.getCause() != null ? e.getCause() : e).getClass().getSimpleName() + "); the server log has the details");
  }

  private static List<String> ids(JsonArray ids) {
    return ids.stream().map(String::valueOf).toList();
  }
}
