package io.silentmode.server;

/**
 * Every event-bus address the server's verticles use, in one place. Message shapes are in docs/ARCHITECTURE.md.
 * Control messages are JSON; the chunk path carries the raw {@link io.silentmode.protocol.ChunkFrame} buffer.
 * <p>
 * In a cluster every address is node-local (its consumers are {@code localConsumer}s) unless it says otherwise:
 * a node's verticles work for the agents connected to it and the jobs it owns. The few cluster-wide ones are
 * either per node ({@link #onNode}: the owner answers for its agents and jobs) or per job
 * ({@link #downloadEvents}). The cluster router answers the operator-facing addresses on every node by asking
 * the owners.
 */
public final class Addresses {

  /**
   * The cluster-wide address of {@code address} on node {@code node} (NODE_NAME): how the cluster router reaches the
   * registry and the orchestrator that own an agent or a job.
   */
  public static String onNode(String address, String node) {
    return address + "@" + node;
  }

  /** Gateway, one consumer per agent connection: a JSON object to send as a text frame, or {@code {close: reason}}. */
  public static String gatewayConnection(String connectionId) {
    return "gateway.connection." + connectionId;
  }

  /**
   * Registry: an agent asks to register ({@code clientId, connectionId, remoteAddress, agentVersion, metadata, labels,
   * nonce, proof?, publicKey?, tokenValid?}; with {@code publicKey}, {@code tokenValid} says whether the enrollment
   * token was the current one). The
   * registry checks the proof against the agent's key before the connection may replace a live one; a refusal fails
   * with AGENT_NOT_ENROLLED, AGENT_AUTH_FAILED, AGENT_REVOKED or ENROLLMENT_REFUSED. Replies with the agent and, when
   * this REGISTER enrolled it, header {@code enrolled: true}.
   */
  public static final String REGISTRY_REGISTER = "registry.register";
  /** Registry: traffic was seen from a connection ({@code clientId, connectionId}). */
  public static final String REGISTRY_SEEN = "registry.seen";
  /** Registry: a connection closed ({@code clientId, connectionId}). */
  public static final String REGISTRY_UNREGISTER = "registry.unregister";
  /**
   * Cluster router: one agent by {@code clientId}, as the nodes that know it have it (the connected entry, else the
   * one seen last); fails with CLIENT_NOT_FOUND. The registry of each node answers {@link #onNode} of it.
   */
  public static final String REGISTRY_GET = "registry.get";
  /**
   * Cluster router: one page of known agents ({@code connected?, selector?, limit, cursor?}) of every node, replies
   * {@code {items, nextCursor}}; a selector that does not parse fails VALIDATION_FAILED. Each registry answers
   * {@link #onNode} of it with the agents it knows.
   */
  public static final String REGISTRY_LIST = "registry.list";
  /**
   * Registry: revoke an agent ({@code clientId}): its connection is closed at once (4004) and it may not register
   * again; replies with the agent. Fails CLIENT_NOT_FOUND.
   */
  public static final String REGISTRY_REVOKE = "registry.revoke";
  /**
   * Registry: let an agent ({@code clientId}) enroll again, with a new key and the enrollment token: its key is
   * forgotten, a revocation lifted, its connection closed; replies with the agent. Fails CLIENT_NOT_FOUND.
   */
  public static final String REGISTRY_REENROLL = "registry.reenroll";
  /**
   * Registry publishes, cluster-wide, each change of an agent's identity ({@code {clientId, node, enrollment}}: a key
   * enrolled, a revocation, a re-enrollment), after storing it: every node's registry takes it, so an agent enrolled
   * through one node is known on all, and a revoked one is refused and disconnected everywhere.
   */
  public static final String AGENTS_ENROLLMENT = "agents.enrollment";
  /** Registry publishes {@code {event: connected|disconnected, clientId, connectionId}}. */
  public static final String REGISTRY_EVENTS = "registry.events";

  /**
   * Cluster router, then the orchestrator of the node the agent is on ({@link #onNode}): start a pull
   * ({@code clientId, path?, callbackUrl?, idempotencyKey?, priority?}); replies with the job once it is recorded
   * (queued, or the agent was asked), header {@code replayed: true} when an idempotency key matched. The operations
   * on one job below go, through the router, to the orchestrator that owns it.
   */
  public static final String DOWNLOADS_START = "downloads.start";
  /** Orchestrator: the job by {@code requestId}. */
  public static final String DOWNLOADS_GET = "downloads.get";
  /** Cluster router: every node's jobs newest first ({@code clientId?, status?, limit, cursor?}) → {@code {items, nextCursor}}. */
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
   * Orchestrator, at {@link #onNode} of the node an agent now dials: the jobs its old node hands over
   * ({@code {jobs}}, their records); replies once they are stored, then resumes them.
   */
  public static final String DOWNLOADS_ADOPT = "downloads.adopt";
  /**
   * Registry publishes, cluster-wide, each agent that registered: {@code {clientId, node}}. The other nodes' registries
   * close a connection they still hold for it; their orchestrators hand its jobs over to that node.
   */
  public static final String AGENTS_CONNECTED = "agents.connected";
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
   * open stream costs nothing when another job moves. Cluster-wide: a stream on any node follows the owner's job.
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
   * Gateway publishes, node-local, each REGISTER refused for its identity: {@code {reason, clientId, remote}}, reason
   * one of {@code not_enrolled, auth_failed, revoked, enrollment_refused}.
   */
  public static final String GATEWAY_AUTH_REFUSED = "gateway.auth-refused";

  /** Enrollment (worker): the enrollment token, {@code {token}}. */
  public static final String ENROLLMENT_TOKEN = "enrollment.token";
  /** Enrollment: replace the enrollment token with a new one; replies {@code {token}}. */
  public static final String ENROLLMENT_ROTATE = "enrollment.rotate";
  /** Enrollment: check a presented {@code token}; fails ENROLLMENT_REFUSED unless it is the current one. */
  public static final String ENROLLMENT_CHECK = "enrollment.check";

  /**
   * Audit log (worker): append one record to DATA_DIR/audit.jsonl: an API request ({@code at, remote, credential,
   * tokenId, claimedTokenId, method, path, status, location, refused, target}) or an agent's identity event
   * ({@code at, remote, agent, event, reason?}, event {@code agent.enrolled} or {@code agent.refused}). Node-local:
   * each node keeps the log of the requests it answered.
   */
  public static final String AUDIT_RECORD = "audit.record";

  /**
   * API tokens: check a presented token ({@code id, hash}: its claimed id and SHA-256, never the secret); replies
   * the {@link io.silentmode.server.auth.Identity} as JSON ({@code tokenId, name, role}) or fails UNAUTHORIZED.
   * Node-local, as are the other three.
   */
  public static final String TOKENS_AUTHENTICATE = "tokens.authenticate";
  /** API tokens: issue one ({@code name, role}); replies its record with {@code token}, the secret, shown only here. */
  public static final String TOKENS_CREATE = "tokens.create";
  /** API tokens: every token's record ({@code id, name, role, createdAt, lastUsedAt}) as {@code {items}}; no secrets, no hashes. */
  public static final String TOKENS_LIST = "tokens.list";
  /** API tokens: revoke by {@code id} (refused from the reply on); replies the record with {@code revokedAt}, or TOKEN_NOT_FOUND. */
  public static final String TOKENS_REVOKE = "tokens.revoke";
  /** Published (cluster-wide) after a token is revoked ({@code revoked: id}): every node reloads its table from the store. */
  public static final String TOKENS_CHANGED = "tokens.changed";

  /**
   * API sends, node-local, each request it refuses before reaching an operation:
   * {@code {reason: unauthenticated|forbidden|rate_limited|too_many_streams|body_too_large}}.
   */
  public static final String API_REFUSED = "api.refused";

  /**
   * Job store: save one job record ({@code job}); replies {@code true} once it is durable (fsynced under DATA_DIR, or
   * committed in PostgreSQL with DATABASE_URL). Saves of one record are applied in the order sent.
   */
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
  /** Job store: replies {@code true} when it can reach where it keeps records (readiness: the database, if any). */
  /** Job store: save one agent's identity ({@code enrollment}: {@code clientId, status, publicKey?, ...}); replies once durable. */
  public static final String STORE_ENROLLMENT_SAVE = "store.enrollment.save";
  /** Job store: every agent identity, as a JSON array: one table for every node of a cluster. */
  public static final String STORE_ENROLLMENT_LOAD = "store.enrollment.load";
  public static final String STORE_PING = "store.ping";
  /** Job store: replace the API token records with {@code tokens}, the whole list (hashes, never secrets); replies once on disk. */
  public static final String STORE_TOKEN_SAVE = "store.token.save";
  /** Job store: every API token record, as a JSON array. */
  public static final String STORE_TOKEN_LOAD = "store.token.load";

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
