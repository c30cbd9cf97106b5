package io.silentmode.server.store.pg;

import io.silentmode.server.store.RecordKind;
import io.silentmode.server.store.RecordStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.List;

/**
 * The job store in PostgreSQL (DATABASE_URL): every record is a row of {@code records}, keyed by its kind and id,
 * the document kept whole as JSONB so fields the store does not know pass through; {@code status}, {@code client_id}
 * and {@code updated} are copied out for queries. A write is answered once its transaction has committed. The
 * schema is brought up to date when the store opens ({@link Migrations}).
 */
public final class PgRecordStore implements RecordStore {

  private static final System.Logger log = System.getLogger(PgRecordStore.class.getName());
  private static final String UPSERT = "INSERT INTO records (kind, id, doc, status, client_id) VALUES ($1, $2, $3, $4, $5) "
    + "ON CONFLICT (kind, id) DO UPDATE SET doc = EXCLUDED.doc, status = EXCLUDED.status, "
    + "client_id = EXCLUDED.client_id, updated = now()";

  private static final int CONNECT_TIMEOUT_MS = 10_000;

  private final Pool pool;
  private final Sequencer sequencer = new Sequencer();

  private PgRecordStore(Pool pool) {
    this.pool = pool;
  }

  /** Connects, migrates the schema, and fails with a message naming what to fix (never the password). */
  public static Future<RecordStore> open(Vertx vertx, String databaseUrl, int poolSize) {
    DatabaseUrl url;
    try {
      url = DatabaseUrl.parse(databaseUrl);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    Pool pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(poolSize))
      // a host that drops packets fails the start in seconds, not after the client's default minute
      .with(new NetClientOptions().setConnectTimeout(CONNECT_TIMEOUT_MS))
      .connectingTo(url.options).using(vertx).build();
    return Migrations.apply(pool)
      .<RecordStore>map(version -> {
        log.log(System.Logger.Level.INFO, "Job store in PostgreSQL " + url.target() + ", schema version " + version);
        return new PgRecordStore(pool);
      })
      .recover(e -> pool.close().transform(x -> Future.failedFuture(url.explain(e))));
  }

  @Override
  public Future<Void> put(RecordKind kind, JsonObject record) {
    Tuple row = row(kind, record);
    return sequencer.after(List.of(key(kind, row.getString(1))), () -> pool.preparedQuery(UPSERT).execute(row).mapEmpty());
  }

  @Override
  public Future<Void> delete(RecordKind kind, List<String> ids) {
    if (ids.isEmpty()) {
      return Future.succeededFuture();
    }
    return sequencer.after(ids.stream().map(id -> key(kind, id)).toList(), () -> pool
      .preparedQuery("DELETE FROM records WHERE kind = $1 AND id = ANY($2)")
      .execute(Tuple.tuple().addString(kind.name()).addArrayOfString(ids.toArray(String[]::new))).mapEmpty());
  }

  @Override
  public Future<JsonArray> all(RecordKind kind) {
    return pool.preparedQuery("SELECT doc FROM records WHERE kind = $1").execute(Tuple.of(kind.name())).map(rows -> {
      JsonArray all = new JsonArray();
      for (Row r : rows) {
        all.add(r.getJsonObject(0));
      }
      return all;
    });
  }

  @Override
  public Future<Void> replaceAll(RecordKind kind, JsonArray records) {
    List<Tuple> rows = new ArrayList<>();
    for (int i = 0; i < records.size(); i++) {
      rows.add(row(kind, records.getJsonObject(i)));
    }
    return sequencer.after(List.of(kind.name()), () -> pool.withTransaction(conn -> conn
      .preparedQuery("DELETE FROM records WHERE kind = $1").execute(Tuple.of(kind.name()))
      .compose(x -> rows.isEmpty() ? Future.succeededFuture() : conn.preparedQuery(UPSERT).executeBatch(rows))
      .mapEmpty()));
  }

  @Override
  public Future<Void> ping() {
    return pool.query("SELECT 1").execute().mapEmpty();
  }

  @Override
  public Future<Void> close() {
    return pool.close();
  }

  @Override
  public String where() {
    return "in PostgreSQL";
  }

  private static Tuple row(RecordKind kind, JsonObject record) {
    String id = record.getString(kind.idField());
    if (id == null || id.isEmpty()) {
      throw new IllegalArgumentException("a " + kind.name() + " record needs its " + kind.idField());
    }
    return Tuple.of(kind.name(), id, record, record.getValue("status") instanceof String s ? s : null,
      record.getValue("clientId") instanceof String c ? c : null);
  }

  private static String key(RecordKind kind, String id) {
    return kind.name() + "/" + id;
  }
}
