package io.silentmode.server.store.pg;

import io.silentmode.server.StartupFailure;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.util.List;

/**
 * The schema, as ordered steps: step {@code n} (1-based) takes a database at version {@code n - 1} to {@code n}.
 * Never edit a released step; add one. All pending steps run in one transaction that first takes a transaction
 * advisory lock, so servers starting at once against one database apply each step once, one after the other.
 */
final class Migrations {

  /** Arbitrary, fixed: the advisory lock of silentmode's schema ("silentmo" in ASCII). */
  static final long LOCK = 0x73696c656e746d6fL;

  static final List<String> STEPS = List.of(
    // 1: every kind of record in one table, the document as JSONB (fields pass through unread) with a few columns
    // copied out of it for queries; the primary key is what a save replaces.
    """
    CREATE TABLE records (
      kind text NOT NULL,
      id text NOT NULL,
      doc jsonb NOT NULL,
      status text,
      client_id text,
      updated timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (kind, id)
    );
    CREATE INDEX records_kind_status ON records (kind, status);
    CREATE INDEX records_kind_client ON records (kind, client_id);
    """);

  private Migrations() {
  }

  /** Brings the schema to the newest version; the version it is at afterwards. */
  static Future<Integer> apply(Pool pool) {
    return pool.withTransaction(conn -> conn.query("SELECT pg_advisory_xact_lock(" + LOCK + ")").execute()
      // under the lock, so no other server creates it meanwhile (and no "already exists" notice is logged)
      .compose(x -> conn.query("SELECT to_regclass('schema_version') IS NULL").execute())
      .compose(rows -> !rows.iterator().next().getBoolean(0) ? Future.succeededFuture() : conn.query("CREATE TABLE schema_version ("
        + "version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())").execute())
      .compose(x -> conn.query("SELECT coalesce(max(version), 0) FROM schema_version").execute())
      .compose(rows -> {
        int current = rows.iterator().next().getInteger(0);
        if (current > STEPS.size()) {
          return Future.failedFuture(new StartupFailure("the database schema is at version " + current
            + ", newer than this server knows (" + STEPS.size() + "): run a newer silentmode"));
        }
        Future<Void> applied = Future.succeededFuture();
        for (int v = current + 1; v <= STEPS.size(); v++) {
          int version = v;
          applied = applied.compose(y -> step(conn, version));
        }
        return applied.map(y -> STEPS.size());
      }));
  }

  private static Future<Void> step(SqlConnection conn, int version) {
    return conn.query(STEPS.get(version - 1)).execute()
      .compose(x -> conn.preparedQuery("INSERT INTO schema_version (version) VALUES ($1)").execute(Tuple.of(version)))
      .mapEmpty();
  }
}
