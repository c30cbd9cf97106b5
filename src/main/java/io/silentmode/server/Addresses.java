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
  /** Registry: one agent by {@code clientId}; fails with CLIENT_NOT_FOUND. */
  public static final String REGISTRY_GET = "registry.get";
  /**
   * Registry: one page of known agents ({@code connected?, selector?, limit, cursor?}), replies
   * {@code {items, nextCursor}}; a selector that does not parse fails VALIDATION_FAILED.
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
   * method, path, status, location}) or an agent's identity event ({@code at, remote, agent, event, reason?}, event
   * {@code agent.enrolled} or {@code agent.refused}). Node-local: each node keeps the log of the requests it answered.
   */
  public static final String AUDIT_RECORD = "audit.record";

  /** Job store (worker): save one job record ({@code job}); replies once it is on disk. */
  public static final String STORE_JOB_SAVE = "store.job.save";
  /** Job store: delete job records ({@code requestIds}). */
  public static final String STORE_JOB_DELETE = "store.job.delete";
  /** Job store: every job record, as a JSON array. */
  public static final String STORE_JOB_LOAD = "store.job.load";
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
