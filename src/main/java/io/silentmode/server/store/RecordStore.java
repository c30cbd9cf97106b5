package io.silentmode.server.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * Where the job store keeps its records: files under DATA_DIR ({@link FileRecordStore}) or PostgreSQL
 * ({@link io.silentmode.server.store.pg.PgRecordStore}). A returned future succeeds once the change is durable;
 * changes to one record are applied in the order they were asked for. Called on the job store's context only.
 */
public interface RecordStore {

  /** Saves one record of a kind kept one record at a time, replacing the one with the same id. */
  Future<Void> put(RecordKind kind, JsonObject record);

  /** Deletes the records with these ids; ids that are not there are ignored. */
  Future<Void> delete(RecordKind kind, List<String> ids);

  /** Every record of the kind, in no particular order. */
  Future<JsonArray> all(RecordKind kind);

  /** Replaces every record of the kind by {@code records}, at once. */
  Future<Void> replaceAll(RecordKind kind, JsonArray records);

  /** Succeeds when the store can take writes now: readiness. */
  Future<Void> ping();

  Future<Void> close();

  /** Where the records live, for error messages that reach API clients: no path, no secret. */
  String where();
}
