package io.silentmode.server.batch;

import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The batch verticle's batches: by id, each member by its current job's requestId, the batches of each agent, the
 * list in pages and the pruning of old batches. No timers, no messages: those stay in the verticle.
 */
final class BatchBook {

  /** One page of the list, newest first, and the cursor of the next page (null on the last). */
  record Page(List<Batch> items, String nextCursor) {
  }

  private final Map<UUID, Batch> batches = new HashMap<>();
  private final Map<String, Member> members = new HashMap<>();
  /** The batches each agent is a member of: whom its connecting concerns. */
  private final Map<String, Set<Batch>> batchesOf = new HashMap<>();

  void add(Batch b) {
    batches.put(b.batchId, b);
    b.members.forEach(this::index);
  }

  Collection<Batch> all() {
    return batches.values();
  }

  /** The batch by its id as a client wrote it, or null. */
  Batch get(String batchId) {
    try {
      return batchId == null ? null : batches.get(UUID.fromString(batchId));
    } catch (IllegalArgumentException e) {
      return null; // not a UUID: no such batch
    }
  }

  Batch get(UUID batchId) {
    return batches.get(batchId);
  }

  /** The member whose current job this is, or null. */
  Member member(String requestId) {
    return members.get(requestId);
  }

  /** The member's job was retried: it now follows the new one. */
  void rejob(Member member, String requestId) {
    members.remove(member.requestId);
    member.retryOf = member.requestId;
    member.requestId = requestId;
    members.put(requestId, member);
  }

  /** The running batches that have this agent as a member. */
  List<Batch> runningWith(String clientId) {
    return batchesOf.getOrDefault(clientId, Set.of()).stream().filter(b -> b.finishedAt == null).toList();
  }

  /** Newest first after {@code cursor}; IllegalArgumentException for a cursor this server did not make. */
  Page page(int limit, String cursor) {
    List<Batch> page = batches.values().stream().sorted(Batch.NEWEST_FIRST).filter(b -> cursor == null || b.after(cursor))
      .limit(limit + 1L).toList();
    return new Page(page.subList(0, Math.min(limit, page.size())), page.size() > limit ? page.get(limit - 1).cursor() : null);
  }

  /** Drops the batches that ended before {@code horizon}; returns them. */
  List<Batch> prune(Instant horizon) {
    List<Batch> old = batches.values().stream().filter(b -> b.finishedAt != null && b.finishedAt.isBefore(horizon)).toList();
    for (Batch b : old) {
      batches.remove(b.batchId);
      for (Member member : b.members) {
        members.remove(member.requestId);
        Set<Batch> of = batchesOf.get(member.clientId);
        of.remove(b);
        if (of.isEmpty()) {
          batchesOf.remove(member.clientId);
        }
      }
    }
    return old;
  }

  private void index(Member member) {
    members.put(member.requestId, member);
    batchesOf.computeIfAbsent(member.clientId, id -> new HashSet<>()).add(member.batch);
  }
}
