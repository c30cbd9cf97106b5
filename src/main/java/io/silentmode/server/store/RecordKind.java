package io.silentmode.server.store;

import java.util.List;

/**
 * One kind of record the job store keeps: JSON documents the store does not interpret, each named by the value
 * of {@code idField}. A {@code wholeList} kind is a short list its owner always rewrites whole (the known agents);
 * the others are saved and deleted one record at a time (jobs). Adding a kind: a constant here, in {@link #ALL}, and
 * its addresses bound in {@link JobStoreVerticle}; both stores take any kind as it is.
 */
public record RecordKind(String name, String idField, boolean wholeList) {

  public static final RecordKind JOBS = new RecordKind("jobs", "requestId", false);
  public static final RecordKind CLIENTS = new RecordKind("clients", "clientId", true);
  /** Batches: each names its member jobs; kept by the node that made it, as its jobs are by their owners. */
  public static final RecordKind BATCHES = new RecordKind("batches", "batchId", false);
  /** Agents' identities (public keys, revocations); one table for every node of a cluster, so an agent is known on each. */
  public static final RecordKind ENROLLMENTS = new RecordKind("enrollments", "clientId", false);
  /** API tokens, hashes only; one table for every node of a cluster, so that a token works on each. */
  public static final RecordKind TOKENS = new RecordKind("tokens", "id", true);

  /** Every kind, for a store to prepare at open (the file store's directories). */
  public static final List<RecordKind> ALL = List.of(JOBS, CLIENTS, BATCHES, ENROLLMENTS);

  /** This kind as one node of a cluster keeps it in a store shared with the others: {@code name@node}. */
  public RecordKind of(String node) {
    return new RecordKind(name + "@" + node, idField, wholeList);
  }
}
