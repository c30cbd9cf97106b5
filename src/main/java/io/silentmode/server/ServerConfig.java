package io.silentmode.server;

/**
 * The server's settings, built once (from flags, environment and defaults, see the CLI) and handed to each
 * verticle's constructor, which only reads them. Fluent setters in the style of Vert.x's own options classes.
 * Durations are milliseconds, as in the seed's environment names.
 */
public final class ServerConfig {

  private String nodeName = "silentmode";
  private String host = "0.0.0.0";
  private int port = 3000;
  private int wsPort = 8080;
  private String downloadDir = "./downloads";
  private String dataDir = "./data";
  private int chunkSize = 1024 * 1024;
  private int chunkWindow = 16;
  private int maxActivePulls = 64;
  private int maxBatchSize = 10_000;
  private long maxPullRate;
  private int apiRateLimit = 100;
  private int maxAgentConnections = 20_000;
  private long registerTimeout = 10_000;
  private int maxAgentConnectionsPerAddress = 1_000;
  private int maxEventStreams = 64;
  private long maxTotalRate;
  private int maxChunkRetryAttempts = 3;
  private long chunkRetryDelay = 1000;
  private long chunkTimeout = 30_000;
  private long heartbeatInterval = 30_000;
  private long downloadTimeout = 3_600_000;
  private long queueTimeout = 3_600_000;
  private long resumeTimeout = 3_600_000;
  private long jobRetention = 30L * 24 * 3_600_000;
  private String apiToken;
  private boolean allowUnauthenticatedApi;
  private int maxBodySize = 64 * 1024;
  private String publicUrl;
  private String linkSecret;
  private long linkTtl = 3_600_000;
  private String webhookSecret;
  private int webhookMaxAttempts = 8;
  private long webhookRetryDelay = 1000;
  private long webhookTimeout = 10_000;
  private long sseHeartbeat = 15_000;
  private long minFreeSpace = 100L * 1024 * 1024;
  private boolean allowPrivateCallbacks;
  private long requestHeaderTimeout = 10_000;
  private long maxFileSize = 1L << 40;
  private String tlsCert;
  private String tlsKey;
  private boolean selfSigned;
  private long tlsReloadInterval = 10_000;
  private String databaseUrl;
  private int databasePoolSize = 4;
  private boolean allowUnenrolled;

  public static ServerConfig defaults() {
    return new ServerConfig();
  }

  public ServerConfig copy() {
    return new ServerConfig().setNodeName(nodeName).setHost(host).setPort(port).setWsPort(wsPort).setDownloadDir(downloadDir).setDataDir(dataDir)
      .setChunkSize(chunkSize).setChunkWindow(chunkWindow).setMaxActivePulls(maxActivePulls).setMaxBatchSize(maxBatchSize).setMaxPullRate(maxPullRate).setApiRateLimit(apiRateLimit).setMaxAgentConnections(maxAgentConnections).setRegisterTimeout(registerTimeout)
      .setMaxAgentConnectionsPerAddress(maxAgentConnectionsPerAddress).setMaxEventStreams(maxEventStreams).setMaxTotalRate(maxTotalRate).setMaxChunkRetryAttempts(maxChunkRetryAttempts)
      .setChunkRetryDelay(chunkRetryDelay).setChunkTimeout(chunkTimeout).setHeartbeatInterval(heartbeatInterval)
      .setDownloadTimeout(downloadTimeout).setQueueTimeout(queueTimeout).setResumeTimeout(resumeTimeout).setJobRetention(jobRetention)
      .setApiToken(apiToken).setAllowUnauthenticatedApi(allowUnauthenticatedApi).setMaxBodySize(maxBodySize).setPublicUrl(publicUrl).setLinkSecret(linkSecret).setLinkTtl(linkTtl)
      .setWebhookSecret(webhookSecret).setWebhookMaxAttempts(webhookMaxAttempts).setWebhookRetryDelay(webhookRetryDelay)
      .setWebhookTimeout(webhookTimeout).setSseHeartbeat(sseHeartbeat).setMinFreeSpace(minFreeSpace)
      .setAllowPrivateCallbacks(allowPrivateCallbacks).setRequestHeaderTimeout(requestHeaderTimeout)
      .setMaxFileSize(maxFileSize)
      .setTlsCert(tlsCert).setTlsKey(tlsKey).setSelfSigned(selfSigned).setTlsReloadInterval(tlsReloadInterval)
      .setDatabaseUrl(databaseUrl).setDatabasePoolSize(databasePoolSize).setAllowUnenrolled(allowUnenrolled);
  }

  /** This server's name among the cluster's members, in its metrics and agents' records (NODE_NAME). */
  public String nodeName() { return nodeName; }

  /** Interface both listeners bind (HOST). */
  public String host() { return host; }
  /** REST API port (PORT). */
  public int port() { return port; }
  /** WebSocket port agents dial (WS_PORT). */
  public int wsPort() { return wsPort; }
  public String downloadDir() { return downloadDir; }
  /** Where job records, known agents and generated secrets live (DATA_DIR). */
  public String dataDir() { return dataDir; }
  public int chunkSize() { return chunkSize; }
  public int chunkWindow() { return chunkWindow; }
  public int maxChunkRetryAttempts() { return maxChunkRetryAttempts; }
  public long chunkRetryDelay() { return chunkRetryDelay; }
  public long chunkTimeout() { return chunkTimeout; }
  public long heartbeatInterval() { return heartbeatInterval; }
  public long downloadTimeout() { return downloadTimeout; }
  /** How long a pull for a known but offline agent waits in {@code queued} (QUEUE_TIMEOUT). */
  public long queueTimeout() { return queueTimeout; }
  /** Pulls running at once on this server (MAX_ACTIVE_PULLS); more wait, queued. */
  public int maxActivePulls() { return maxActivePulls; }
  /** Members a batch may have at most (MAX_BATCH_SIZE): each is a job the server keeps. */
  public int maxBatchSize() { return maxBatchSize; }
  /** Bytes per second one pull may take (MAX_PULL_RATE); 0 means no limit. */
  public long maxPullRate() { return maxPullRate; }
  /**
   * API requests per second one token may make (one remote address, for requests without a valid token), with
   * bursts of twice that (API_RATE_LIMIT); 0 means no limit.
   */
  public int apiRateLimit() { return apiRateLimit; }
  /** Agent WebSockets this node holds at once (MAX_AGENT_CONNECTIONS). */
  public int maxAgentConnections() { return maxAgentConnections; }
  /** How long a new agent connection has to send REGISTER (REGISTER_TIMEOUT). */
  public long registerTimeout() { return registerTimeout; }
  /** Agent WebSockets one remote address may hold on this node (MAX_AGENT_CONNECTIONS_PER_ADDRESS). */
  public int maxAgentConnectionsPerAddress() { return maxAgentConnectionsPerAddress; }
  /** Event streams one token may hold open at once (MAX_EVENT_STREAMS); 0 means no limit. */
  public int maxEventStreams() { return maxEventStreams; }
  /** Bytes per second all pulls together may take (MAX_TOTAL_RATE); 0 means no limit. */
  public long maxTotalRate() { return maxTotalRate; }
  /** How long a paused pull keeps its verified chunks waiting to resume, and a failed one for a retry (RESUME_TIMEOUT). */
  public long resumeTimeout() { return resumeTimeout; }
  /** How long finished job records are kept (JOB_RETENTION); the pulled files themselves are never deleted. */
  public long jobRetention() { return jobRetention; }
  /** A bootstrap admin token the operator chose, accepted beside the stored tokens, or null (API_TOKEN). */
  public String apiToken() { return apiToken; }
  /** Every API operation open to anyone, as admin: for labs only (ALLOW_UNAUTHENTICATED_API). */
  public boolean allowUnauthenticatedApi() { return allowUnauthenticatedApi; }
  /** Largest API request body in bytes (MAX_BODY_SIZE); more is 413 PAYLOAD_TOO_LARGE. */
  public int maxBodySize() { return maxBodySize; }
  /** Base URL operators reach the API at, for links (PUBLIC_URL); null means the request's own Host. */
  public String publicUrl() { return publicUrl; }
  /** HMAC key of content links (LINK_SECRET); null means generated once and kept under DATA_DIR. */
  public String linkSecret() { return linkSecret; }
  public long linkTtl() { return linkTtl; }
  /** Standard Webhooks secret, {@code whsec_<base64>} (WEBHOOK_SECRET); null means generated under DATA_DIR. */
  public String webhookSecret() { return webhookSecret; }
  public int webhookMaxAttempts() { return webhookMaxAttempts; }
  public long webhookRetryDelay() { return webhookRetryDelay; }
  public long webhookTimeout() { return webhookTimeout; }
  /** Ms between SSE comment heartbeats (SSE_HEARTBEAT). */
  public long sseHeartbeat() { return sseHeartbeat; }
  /** Free bytes DOWNLOAD_DIR needs for the server to report ready (MIN_FREE_SPACE). */
  public long minFreeSpace() { return minFreeSpace; }
  /** Whether a callbackUrl may name a loopback, private or link-local address (ALLOW_PRIVATE_CALLBACKS). */
  public boolean allowPrivateCallbacks() { return allowPrivateCallbacks; }
  /** Ms a connection on either port has to send a whole request head or upgrade (REQUEST_HEADER_TIMEOUT). */
  public long requestHeaderTimeout() { return requestHeaderTimeout; }
  /** Largest file a pull takes (MAX_FILE_SIZE): a DOWNLOAD_ACK announcing more fails the pull with FILE_TOO_LARGE. */
  public long maxFileSize() { return maxFileSize; }
  /** PEM certificate chain both ports present (TLS_CERT), or null for plain text; set with {@link #tlsKey()}. */
  public String tlsCert() { return tlsCert; }
  /** PEM private key of {@link #tlsCert()} (TLS_KEY). */
  public String tlsKey() { return tlsKey; }
  /** Without TLS_CERT and TLS_KEY, use a self-signed certificate made once in DATA_DIR (--self-signed). */
  public boolean selfSigned() { return selfSigned; }
  /** Ms between looks at TLS_CERT and TLS_KEY for a changed pair to reload (TLS_RELOAD_INTERVAL). */
  public long tlsReloadInterval() { return tlsReloadInterval; }
  /** PostgreSQL job store, {@code postgresql://user:password@host:port/db} (DATABASE_URL); null means files under DATA_DIR. */
  public String databaseUrl() { return databaseUrl; }
  /** Connections the PostgreSQL job store keeps open at most (DATABASE_POOL_SIZE). */
  public int databasePoolSize() { return databasePoolSize; }

  public ServerConfig setNodeName(String nodeName) { this.nodeName = nodeName; return this; }
  /** Whether an agent with no enrolled key may register without a proof, as before enrollment (ALLOW_UNENROLLED). */
  public boolean allowUnenrolled() { return allowUnenrolled; }

  public ServerConfig setAllowUnenrolled(boolean allow) { this.allowUnenrolled = allow; return this; }
  public ServerConfig setHost(String host) { this.host = host; return this; }
  public ServerConfig setPort(int port) { this.port = port; return this; }
  public ServerConfig setWsPort(int wsPort) { this.wsPort = wsPort; return this; }
  public ServerConfig setDownloadDir(String downloadDir) { this.downloadDir = downloadDir; return this; }
  public ServerConfig setDataDir(String dataDir) { this.dataDir = dataDir; return this; }
  public ServerConfig setChunkSize(int chunkSize) { this.chunkSize = chunkSize; return this; }
  public ServerConfig setChunkWindow(int chunkWindow) { this.chunkWindow = chunkWindow; return this; }
  public ServerConfig setMaxChunkRetryAttempts(int n) { this.maxChunkRetryAttempts = n; return this; }
  public ServerConfig setChunkRetryDelay(long ms) { this.chunkRetryDelay = ms; return this; }
  public ServerConfig setChunkTimeout(long ms) { this.chunkTimeout = ms; return this; }
  public ServerConfig setHeartbeatInterval(long ms) { this.heartbeatInterval = ms; return this; }
  public ServerConfig setDownloadTimeout(long ms) { this.downloadTimeout = ms; return this; }
  public ServerConfig setQueueTimeout(long ms) { this.queueTimeout = ms; return this; }
  public ServerConfig setMaxActivePulls(int max) { this.maxActivePulls = max; return this; }
  public ServerConfig setMaxBatchSize(int max) { this.maxBatchSize = max; return this; }
  public ServerConfig setMaxPullRate(long bytesPerSecond) { this.maxPullRate = bytesPerSecond; return this; }
  public ServerConfig setApiRateLimit(int perSecond) { this.apiRateLimit = perSecond; return this; }
  public ServerConfig setMaxAgentConnections(int max) { this.maxAgentConnections = max; return this; }
  public ServerConfig setRegisterTimeout(long ms) { this.registerTimeout = ms; return this; }
  public ServerConfig setMaxAgentConnectionsPerAddress(int max) { this.maxAgentConnectionsPerAddress = max; return this; }
  public ServerConfig setMaxEventStreams(int max) { this.maxEventStreams = max; return this; }
  public ServerConfig setMaxTotalRate(long bytesPerSecond) { this.maxTotalRate = bytesPerSecond; return this; }
  public ServerConfig setResumeTimeout(long ms) { this.resumeTimeout = ms; return this; }
  public ServerConfig setJobRetention(long ms) { this.jobRetention = ms; return this; }
  public ServerConfig setApiToken(String token) { this.apiToken = blankToNull(token); return this; }
  public ServerConfig setAllowUnauthenticatedApi(boolean allow) { this.allowUnauthenticatedApi = allow; return this; }
  public ServerConfig setMaxBodySize(int bytes) { this.maxBodySize = bytes; return this; }
  public ServerConfig setPublicUrl(String url) { this.publicUrl = blankToNull(url); return this; }
  public ServerConfig setLinkSecret(String secret) { this.linkSecret = blankToNull(secret); return this; }
  public ServerConfig setLinkTtl(long ms) { this.linkTtl = ms; return this; }
  public ServerConfig setWebhookSecret(String secret) { this.webhookSecret = blankToNull(secret); return this; }
  public ServerConfig setWebhookMaxAttempts(int n) { this.webhookMaxAttempts = n; return this; }
  public ServerConfig setWebhookRetryDelay(long ms) { this.webhookRetryDelay = ms; return this; }
  public ServerConfig setWebhookTimeout(long ms) { this.webhookTimeout = ms; return this; }
  public ServerConfig setSseHeartbeat(long ms) { this.sseHeartbeat = ms; return this; }
  public ServerConfig setMinFreeSpace(long bytes) { this.minFreeSpace = bytes; return this; }
  public ServerConfig setAllowPrivateCallbacks(boolean allow) { this.allowPrivateCallbacks = allow; return this; }
  public ServerConfig setRequestHeaderTimeout(long ms) { this.requestHeaderTimeout = ms; return this; }
  public ServerConfig setMaxFileSize(long bytes) { this.maxFileSize = bytes; return this; }
  public ServerConfig setTlsCert(String path) { this.tlsCert = blankToNull(path); return this; }
  public ServerConfig setTlsKey(String path) { this.tlsKey = blankToNull(path); return this; }
  public ServerConfig setSelfSigned(boolean selfSigned) { this.selfSigned = selfSigned; return this; }
  public ServerConfig setTlsReloadInterval(long ms) { this.tlsReloadInterval = ms; return this; }
  public ServerConfig setDatabaseUrl(String url) { this.databaseUrl = blankToNull(url); return this; }
  public ServerConfig setDatabasePoolSize(int size) { this.databasePoolSize = size; return this; }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
