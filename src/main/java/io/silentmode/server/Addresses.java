package io.silentmode.server;

/**
 * Every event-bus address the server's verticles use, in one place. Message shapes are in docs/ARCHITECTURE.md.
 * Control messages are JSON; the chunk path carries the raw {@link io.silentmode.protocol.ChunkFrame} buffer.
 */
public final class Addresses {

  /** Gateway, one consumer per agent connection: a JSON object to send as a text frame, or {@code {close: reason}}. */
  public static String gatewayConnection(String connectionId) {
    return "gateway.connection." + connectionId;
  }

  /** Registry: an agent registered ({@code clientId, connectionId, remoteAddress, agentVersion, metadata, labels}). */
  public static final String REGISTRY_REGISTER = "registry.register";
  /** Registry: traffic was seen from a connection ({@code clientId, connectionId}). */
  public static final String REGISTRY_SEEN = "registry.seen";
  /** Registry: a connection closed ({@code clientId, connectionId}). */
  public static final String REGISTRY_UNREGISTER = "registry.unregister";
  /** Registry: one agent by {@code clientId}; fails with CLIENT_NOT_FOUND. */
  public static final String REGISTRY_GET = "registry.get";
  /**
   * Registry: one page of known agents ({@code connected?, selector?, limit, cursor?}), replies
   * {@code {items, nextCursor}}; a selector that does not parse fails VALIDATION_FAILED.
   */
  public static final String REGISTRY_LIST = "registry.list";
  /** Registry publishes {@code {event: connected|disconnected, clientId, connectionId}}. */
  public static final String REGISTRY_EVENTS = "registry.events";

  /**
   * Orchestrator: start a pull ({@code clientId, path?, callbackUrl?, idempotencyKey?}); replies with the job once it
   * is recorded (queued, or the agent was asked), header {@code replayed: true} when an idempotency key matched.
   */
  public static final String DOWNLOADS_START = "downloads.start";
  /** Orchestrator: the job by {@code requestId}. */
  public static final String DOWNLOADS_GET = "downloads.get";
  /** Orchestrator: jobs newest first ({@code clientId?, status?, limit, cursor?}) → {@code {items, nextCursor}}. */
  public static final String DOWNLOADS_LIST = "downloads.list";
  /** Orchestrator: cancel by {@code requestId}. */
  public static final String DOWNLOADS_CANCEL = "downloads.cancel";
  /** Orchestrator: pause by {@code requestId} (queued or in progress); replies with the job, now {@code paused}. */
  public static final String DOWNLOADS_PAUSE = "downloads.pause";
  /** Orchestrator: resume a paused job by {@code requestId}; replies with the job (running, or paused waiting for its agent). */
  public static final String DOWNLOADS_RESUME = "downloads.resume";
  /** Orchestrator: a new job pulling again what a failed or cancelled one ({@code requestId}) asked for. */
  public static final String DOWNLOADS_RETRY = "downloads.retry";
  /**
   * Orchestrator: let a held batch member ({@code requestId}) join the line for a slot; replies with the job. Jobs
   * started with {@code batchId, held: true, deadline?} (DOWNLOADS_START, DOWNLOADS_RETRY) wait for this.
   */
  public static final String DOWNLOADS_RELEASE = "downloads.release";
  /** Orchestrator: a JSON control message from an agent about a pull, with {@code clientId} added by the gateway. */
  public static final String DOWNLOADS_AGENT_MESSAGE = "downloads.agent-message";
  /** Orchestrator: a binary chunk frame from an agent; header {@code clientId}. Node-local. */
  public static final String DOWNLOADS_CHUNK = "downloads.chunk";
  /**
   * Orchestrator publishes the state changes and the final event of every pull, for the consumers that follow all
   * jobs (webhooks, metrics); not progress, which only those watching one job want.
   */
  public static final String DOWNLOADS_EVENTS = "downloads.events";

  /**
   * Orchestrator publishes every event of one pull, progress included: what an SSE stream of that job follows, so an
   * open stream costs nothing when another job moves.
   */
  public static String downloadEvents(String requestId) {
    return "downloads." + requestId + ".events";
  }

  /**
   * Batches: create one ({@code request: BatchRequest as the API took it, idempotencyKey?}); replies with the batch
   * once it and its member jobs are recorded, header {@code replayed: true} when an idempotency key matched.
   */
  public static final String BATCHES_CREATE = "batches.create";
  /** Batches: one by {@code batchId}, with its members unless {@code summary}; fails BATCH_NOT_FOUND. */
  public static final String BATCHES_GET = "batches.get";
  /** Batches: newest first ({@code limit, cursor?}) → {@code {items, nextCursor}}, without member lists. */
  public static final String BATCHES_LIST = "batches.list";
  /** Batches: cancel the members of {@code batchId} that have not ended; replies with the batch. */
  public static final String BATCHES_CANCEL = "batches.cancel";
  /** Batches: a new job for each failed member of {@code batchId}; replies with the batch. */
  public static final String BATCHES_RETRY = "batches.retry";
  /** Batches publish the end of every batch ({@code event: final} and the batch): what the webhook sender follows. */
  public static final String BATCHES_EVENTS = "batches.events";

  /** Batches publish every event of one batch (state, progress, member, final): what its SSE stream follows. */
  public static String batchEvents(String batchId) {
    return "batches." + batchId + ".events";
  }

  /**
   * Webhook sender publishes the outcome of every delivery attempt:
   * {@code {requestId, attempt, outcome: delivered|retrying|failed|gone, statusCode?, error?, nextAttemptAt?, at}}.
   */
  public static final String WEBHOOKS_EVENTS = "webhooks.events";
  /** Webhook sender: a finished job whose delivery had not ended when the server stopped; it goes on. */
  public static final String WEBHOOKS_RESUME = "webhooks.resume";
  /**
   * Certificate reloader publishes each look at changed TLS files:
   * {@code {event: reloaded, fingerprint, previous}} or {@code {event: refused, error}}.
   */
  public static final String TLS_EVENTS = "tls.events";

  /** Gateway publishes, node-local, each agent connection it refuses over a limit: {@code {reason}}. */
  public static final String GATEWAY_REFUSED = "gateway.refused";

  /**
   * Audit log (worker): append one record ({@code at, remote, credential, method, path, status, location}) to
   * DATA_DIR/audit.jsonl. Node-local: each node keeps the log of the requests it answered.
   */
  public static final String AUDIT_RECORD = "audit.record";

  /** Job store (worker): save one job record ({@code job}); replies once it is on disk. */
  public static final String STORE_JOB_SAVE = "store.job.save";
  /** Job store: delete job records ({@code requestIds}). */
  public static final String STORE_JOB_DELETE = "store.job.delete";
  /** Job store: every job record, as a JSON array. */
  public static final String STORE_JOB_LOAD = "store.job.load";
  /** Job store: save one batch record ({@code batch}); replies once it is on disk. */
  public static final String STORE_BATCH_SAVE = "store.batch.save";
  /** Job store: every batch record, as a JSON array. */
  public static final String STORE_BATCH_LOAD = "store.batch.load";
  /** Job store: delete batch records ({@code batchIds}). */
  public static final String STORE_BATCH_DELETE = "store.batch.delete";
  /** Job store: replace the records of the known agents with {@code clients}, the whole list; replies once on disk. */
  public static final String STORE_CLIENT_SAVE = "store.client.save";
  /** Job store: every known agent, as a JSON array. */
  public static final String STORE_CLIENT_LOAD = "store.client.load";

  /**
   * Disk writer: open the part files of {@code partId} ({@code finalName, size, chunkSize, totalChunks, sha256,
   * resume}): new ones, or with {@code resume} the kept ones, each recorded chunk read back and verified; replies
   * {@code {verifiedChunks, verifiedBytes}} (chunks {@code [0, verifiedChunks)} are done) or
   * {@code {published: {path, sha256, size}}} when the file was already published before a crash.
   */
  public static final String STORAGE_OPEN = "storage.open";
  /** Disk writer: verify and write one chunk frame at {@code index * chunkSize}; header {@code partId}. Node-local. */
  public static final String STORAGE_WRITE = "storage.write";
  /** Disk writer: check the whole-file SHA-256, fsync, rename atomically ({@code partId, sha256}); replies with the final file. */
  public static final String STORAGE_COMMIT = "storage.commit";
  /** Disk writer: close the part files of {@code partId} and keep them, for a pull that pauses. */
  public static final String STORAGE_CLOSE = "storage.close";
  /** Disk writer: drop the part files of {@code partId}. */
  public static final String STORAGE_ABORT = "storage.abort";
  /** Disk writer: remove every part file in DOWNLOAD_DIR that is not open and not among {@code keep} (partIds). */
  public static final String STORAGE_SWEEP = "storage.sweep";

  private Addresses() {
  }
}
