package io.silentmode.server.download;

import io.silentmode.server.download.Pull.Status;

import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.UUID;

/**
 * The orchestrator's jobs: every job by id, the one pull each agent is serving, the states a job goes through,
 * the job list in pages, and the pruning of old jobs. No timers, no messages: those stay in the verticle.
 * <p>
 * A job is queued (its agent is offline), in progress, paused (it keeps its verified chunks and holds no agent), or
 * ended (completed, failed, cancelled) for good.
 */
final class JobBook {

  private static final Map<Status, Set<Status>> NEXT = Map.of(
    Status.QUEUED, EnumSet.of(Status.IN_PROGRESS, Status.PAUSED, Status.FAILED, Status.CANCELLED),
    Status.IN_PROGRESS, EnumSet.of(Status.PAUSED, Status.COMPLETED, Status.FAILED, Status.CANCELLED),
    // paused to paused: the reason changes (an operator's resume that waits for the agent)
    Status.PAUSED, EnumSet.of(Status.IN_PROGRESS, Status.PAUSED, Status.FAILED, Status.CANCELLED),
    Status.COMPLETED, EnumSet.noneOf(Status.class),
    Status.FAILED, EnumSet.noneOf(Status.class),
    Status.CANCELLED, EnumSet.noneOf(Status.class));

  /** One page of the job list, newest first, and the cursor of the next page (null on the last). */
  record Page(List<Pull> items, String nextCursor) {
  }

  /**
   * What waits for a slot, in order: by priority; within one, pulls paused for a reason that ends by itself, then
   * queued ones; then the oldest first.
   */
  private static final Comparator<Pull> WAITING_ORDER = Comparator.comparing((Pull p) -> p.priority)
    .thenComparing(p -> p.status == Status.QUEUED).thenComparing(p -> p.createdAt).thenComparing(p -> p.requestId);

  private final Map<UUID, Pull> jobs = new HashMap<>();
  private final Map<String, Pull> activeByClient = new HashMap<>();
  /** The jobs that start by themselves once their agent is connected and idle and a slot is free. */
  private final TreeSet<Pull> waiting = new TreeSet<>(WAITING_ORDER);

  static boolean allowed(Status from, Status to) {
    return NEXT.get(from).contains(to);
  }

  void add(Pull pull) {
    jobs.put(pull.requestId, pull);
    track(pull);
  }

  /** Forgets a job whose record could not be stored. */
  void remove(Pull pull) {
    jobs.remove(pull.requestId);
    activeByClient.remove(pull.clientId, pull);
    waiting.remove(pull);
  }

  int size() {
    return jobs.size();
  }

  Collection<Pull> all() {
    return jobs.values();
  }

  /** The job by its id as a client wrote it, or null when there is none (or the id is not a UUID). */
  Pull get(String requestId) {
    try {
      return requestId == null ? null : jobs.get(UUID.fromString(requestId));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Pulls running now, one at most per agent. */
  int activeCount() {
    return activeByClient.size();
  }

  /** The pull the agent is serving, or null. */
  Pull activeOf(String clientId) {
    return activeByClient.get(clientId);
  }

  /** The agent's running pull if it has this id: what a message from the agent about {@code requestId} is about. */
  Pull active(String requestId, String clientId) {
    Pull pull = activeByClient.get(clientId);
    return pull != null && pull.requestId.toString().equals(requestId) ? pull : null;
  }

  /** Marks the agent busy with this pull, before anything asynchronous, so a second request sees it. */
  void start(Pull pull, String connectionId) {
    check(pull, Status.IN_PROGRESS);
    if (activeByClient.putIfAbsent(pull.clientId, pull) != null) {
      throw new IllegalStateException("agent " + pull.clientId + " is already serving a pull");
    }
    waiting.remove(pull); // before the status it is ordered by changes
    if (pull.startedAt == null) {
      pull.startedAt = Instant.now();
    } else if (pull.status == Status.PAUSED) {
      pull.resumes++; // it ran before its pause
    }
    pull.status = Status.IN_PROGRESS;
    pull.connectionId = connectionId;
    pull.queuedUntil = null;
    pull.pausedReason = null;
    pull.pausedUntil = null;
  }

  /** Pauses the job until {@code until}; returns whether its agent was serving it, and is now free. */
  boolean pause(Pull pull, Pull.PauseReason reason, Instant until) {
    check(pull, Status.PAUSED);
    waiting.remove(pull);
    pull.status = Status.PAUSED;
    pull.pausedReason = reason;
    pull.pausedUntil = until;
    pull.queuedUntil = null;
    track(pull);
    return activeByClient.remove(pull.clientId, pull);
  }

  /** Ends the job; returns whether its agent was serving it, and is now free for the next queued pull. */
  boolean end(Pull pull, Status status) {
    check(pull, status);
    waiting.remove(pull);
    pull.ended(status);
    return activeByClient.remove(pull.clientId, pull);
  }

  /** The first waiting job whose agent is connected and idle: what starts next when a slot is free. */
  Optional<Pull> next(Predicate<String> connected) {
    return waiting.stream().filter(p -> activeByClient.get(p.clientId) == null && connected.test(p.clientId)).findFirst();
  }

  /** Where a waiting job stands in the line for a slot, from 1; 0 for a job that does not wait. */
  int positionOf(Pull pull) {
    return waiting.contains(pull) ? waiting.headSet(pull).size() + 1 : 0;
  }

  /** A batch lets its held member go: it joins the line for a slot. */
  void release(Pull pull) {
    pull.held = false;
    track(pull);
  }

  private void track(Pull pull) {
    if (pull.held) {
      return;
    }
    if (pull.status == Status.QUEUED || pull.status == Status.PAUSED && pull.pausedReason.automatic()) {
      waiting.add(pull);
    }
  }

  /** Newest first; the cursor is the position of the last job of the previous page. IllegalArgumentException for a bad cursor. */
  Page page(String clientId, String status, String batchId, int limit, String cursor) {
    Cursor after = Cursor.parse(cursor);
    List<Pull> page = jobs.values().stream()
      .filter(p -> clientId == null || p.clientId.equals(clientId))
      .filter(p -> batchId == null || batchId.equals(p.batchId))
      .filter(p -> status == null || p.status.name().equalsIgnoreCase(status))
      .sorted(Cursor.NEWEST_FIRST)
      .filter(p -> after == null || after.isBefore(p))
      .limit(limit + 1L)
      .toList();
    String next = page.size() > limit ? Cursor.of(page.get(limit - 1)).encode() : null;
    return new Page(page.subList(0, Math.min(limit, page.size())), next);
  }

  /** Drops the jobs that ended before {@code horizon}; returns them. */
  List<Pull> prune(Instant horizon) {
    List<Pull> old = jobs.values().stream().filter(p -> p.terminal() && p.finishedAt.isBefore(horizon)).toList();
    old.forEach(p -> jobs.remove(p.requestId));
    return old;
  }

  private static void check(Pull pull, Status to) {
    if (!allowed(pull.status, to)) {
      throw new IllegalStateException("job " + pull.requestId + " cannot go from " + pull.status + " to " + to);
    }
  }
}
