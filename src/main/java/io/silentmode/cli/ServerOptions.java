package io.silentmode.cli;

import io.silentmode.protocol.Protocol;
import io.silentmode.server.ServerConfig;
import picocli.CommandLine.Option;

/** Server settings: each has a flag, an environment variable and a default (the table in README.md). */
public class ServerOptions {

  @Option(names = "--host", defaultValue = "${env:HOST:-0.0.0.0}", description = "Interface to listen on (HOST, default ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--port", defaultValue = "${env:PORT:-3000}", description = "REST API port (PORT, default ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--ws-port", defaultValue = "${env:WS_PORT:-8080}", description = "Port agents dial (WS_PORT, default ${DEFAULT-VALUE}).")
  int wsPort;

  @Option(names = "--download-dir", defaultValue = "${env:DOWNLOAD_DIR:-./downloads}", description = "Where verified files land (DOWNLOAD_DIR, default ${DEFAULT-VALUE}).")
  String downloadDir;

  @Option(names = "--data-dir", defaultValue = "${env:DATA_DIR:-./data}", description = "Job records, known agents, generated secrets (DATA_DIR, default ${DEFAULT-VALUE}).")
  String dataDir;

  @Option(names = "--chunk-size", defaultValue = "${env:CHUNK_SIZE:-1048576}", description = "Chunk size in bytes, at most 16 MiB (CHUNK_SIZE, default ${DEFAULT-VALUE}).")
  int chunkSize;

  @Option(names = "--chunk-window", defaultValue = "${env:CHUNK_WINDOW:-16}", description = "Chunks in flight per pull (CHUNK_WINDOW, default ${DEFAULT-VALUE}).")
  int chunkWindow;

  @Option(names = "--max-chunk-retry-attempts", defaultValue = "${env:MAX_CHUNK_RETRY_ATTEMPTS:-3}", description = "Retries of one chunk before the pull fails (MAX_CHUNK_RETRY_ATTEMPTS, default ${DEFAULT-VALUE}).")
  int maxChunkRetryAttempts;

  @Option(names = "--chunk-retry-delay", defaultValue = "${env:CHUNK_RETRY_DELAY:-1000}", description = "First retry delay in ms, doubling (CHUNK_RETRY_DELAY, default ${DEFAULT-VALUE}).")
  long chunkRetryDelay;

  @Option(names = "--chunk-timeout", defaultValue = "${env:CHUNK_TIMEOUT:-30000}", description = "Ms of silence before awaited chunks are retried, or before a pull not yet acknowledged fails (CHUNK_TIMEOUT, default ${DEFAULT-VALUE}).")
  long chunkTimeout;

  @Option(names = "--heartbeat-interval", defaultValue = "${env:HEARTBEAT_INTERVAL:-30000}", description = "Ms between PINGs; 3 missed drop the agent (HEARTBEAT_INTERVAL, default ${DEFAULT-VALUE}).")
  long heartbeatInterval;

  @Option(names = "--download-timeout", defaultValue = "${env:DOWNLOAD_TIMEOUT:-3600000}", description = "Ms a whole pull may take (DOWNLOAD_TIMEOUT, default ${DEFAULT-VALUE}).")
  long downloadTimeout;

  @Option(names = "--queue-timeout", defaultValue = "${env:QUEUE_TIMEOUT:-3600000}", description = "Ms a pull for an offline agent waits for it (QUEUE_TIMEOUT, default ${DEFAULT-VALUE}).")
  long queueTimeout;

  @Option(names = "--max-active-pulls", defaultValue = "${env:MAX_ACTIVE_PULLS:-64}", description = "Pulls running at once; more wait queued, in order (MAX_ACTIVE_PULLS, default ${DEFAULT-VALUE}).")
  int maxActivePulls;

  @Option(names = "--max-batch-size", defaultValue = "${env:MAX_BATCH_SIZE:-10000}", description = "Members (agents) one batch may have at most (MAX_BATCH_SIZE, default ${DEFAULT-VALUE}).")
  int maxBatchSize;

  @Option(names = "--max-pull-rate", defaultValue = "${env:MAX_PULL_RATE:-0}", description = "Bytes per second one pull may take; 0 means no limit (MAX_PULL_RATE, default ${DEFAULT-VALUE}).")
  long maxPullRate;

  @Option(names = "--max-total-rate", defaultValue = "${env:MAX_TOTAL_RATE:-0}", description = "Bytes per second all pulls together may take; 0 means no limit (MAX_TOTAL_RATE, default ${DEFAULT-VALUE}).")
  long maxTotalRate;

  @Option(names = "--api-rate-limit", defaultValue = "${env:API_RATE_LIMIT:-100}", description = "API requests per second one token may make (one address, without a valid token), bursts of twice that; 0 means no limit (API_RATE_LIMIT, default ${DEFAULT-VALUE}).")
  int apiRateLimit;

  @Option(names = "--max-event-streams", defaultValue = "${env:MAX_EVENT_STREAMS:-64}", description = "Event streams one token may hold open; 0 means no limit (MAX_EVENT_STREAMS, default ${DEFAULT-VALUE}).")
  int maxEventStreams;

  @Option(names = "--register-timeout", defaultValue = "${env:REGISTER_TIMEOUT:-10000}", description = "Ms a new agent connection has to send REGISTER (REGISTER_TIMEOUT, default ${DEFAULT-VALUE}).")
  long registerTimeout;

  @Option(names = "--max-agent-connections", defaultValue = "${env:MAX_AGENT_CONNECTIONS:-20000}", description = "Agent connections this node holds at once (MAX_AGENT_CONNECTIONS, default ${DEFAULT-VALUE}).")
  int maxAgentConnections;

  @Option(names = "--max-agent-connections-per-address", defaultValue = "${env:MAX_AGENT_CONNECTIONS_PER_ADDRESS:-1000}", description = "Agent connections one remote address may hold; shops behind one NAT share one (MAX_AGENT_CONNECTIONS_PER_ADDRESS, default ${DEFAULT-VALUE}).")
  int maxAgentConnectionsPerAddress;

  @Option(names = "--resume-timeout", defaultValue = "${env:RESUME_TIMEOUT:-3600000}", description = "Ms a paused pull keeps its verified chunks for its agent to come back, and a failed one for a retry (RESUME_TIMEOUT, default ${DEFAULT-VALUE}).")
  long resumeTimeout;

  @Option(names = "--job-retention", defaultValue = "${env:JOB_RETENTION:-2592000000}", description = "Ms finished job records are kept (JOB_RETENTION, default ${DEFAULT-VALUE}, 30 days).")
  long jobRetention;

  @Option(names = "--api-token", defaultValue = "${env:API_TOKEN}", description = "A bootstrap admin token of your choosing, accepted beside the tokens the server stores; unset, a first start writes one to DATA_DIR/admin.token (API_TOKEN).")
  String apiToken;

  @Option(names = "--allow-unauthenticated-api", defaultValue = "${env:ALLOW_UNAUTHENTICATED_API:-false}", description = "Labs only: every API operation open to anyone, as admin (ALLOW_UNAUTHENTICATED_API, default ${DEFAULT-VALUE}).")
  boolean allowUnauthenticatedApi;

  @Option(names = "--max-body-size", defaultValue = "${env:MAX_BODY_SIZE:-65536}", description = "Largest API request body in bytes; more is 413 (MAX_BODY_SIZE, default ${DEFAULT-VALUE}).")
  int maxBodySize;

  @Option(names = "--public-url", defaultValue = "${env:PUBLIC_URL}", description = "Base URL of the API as operators reach it, for links; unset means the request's Host (PUBLIC_URL).")
  String publicUrl;

  @Option(names = "--link-secret", defaultValue = "${env:LINK_SECRET}", description = "HMAC key of content links; unset means generated under DATA_DIR (LINK_SECRET).")
  String linkSecret;

  @Option(names = "--link-ttl", defaultValue = "${env:LINK_TTL:-3600000}", description = "Ms a content link stays valid (LINK_TTL, default ${DEFAULT-VALUE}).")
  long linkTtl;

  @Option(names = "--webhook-secret", defaultValue = "${env:WEBHOOK_SECRET}", description = "Standard Webhooks secret whsec_<base64>; unset means generated under DATA_DIR (WEBHOOK_SECRET).")
  String webhookSecret;

  @Option(names = "--webhook-max-attempts", defaultValue = "${env:WEBHOOK_MAX_ATTEMPTS:-8}", description = "Deliveries tried per webhook (WEBHOOK_MAX_ATTEMPTS, default ${DEFAULT-VALUE}).")
  int webhookMaxAttempts;

  @Option(names = "--webhook-retry-delay", defaultValue = "${env:WEBHOOK_RETRY_DELAY:-1000}", description = "First webhook retry delay in ms, doubling, with jitter (WEBHOOK_RETRY_DELAY, default ${DEFAULT-VALUE}).")
  long webhookRetryDelay;

  @Option(names = "--webhook-timeout", defaultValue = "${env:WEBHOOK_TIMEOUT:-10000}", description = "Ms one webhook delivery may take (WEBHOOK_TIMEOUT, default ${DEFAULT-VALUE}).")
  long webhookTimeout;

  @Option(names = "--sse-heartbeat", defaultValue = "${env:SSE_HEARTBEAT:-15000}", description = "Ms between SSE keep-alive comments (SSE_HEARTBEAT, default ${DEFAULT-VALUE}).")
  long sseHeartbeat;

  @Option(names = "--min-free-space", defaultValue = "${env:MIN_FREE_SPACE:-104857600}", description = "Free bytes DOWNLOAD_DIR needs to report ready and to take new pulls (MIN_FREE_SPACE, default ${DEFAULT-VALUE}).")
  long minFreeSpace;

  @Option(names = "--allow-private-callbacks", defaultValue = "${env:ALLOW_PRIVATE_CALLBACKS:-false}", description = "Let callbackUrl name loopback, private and link-local addresses (ALLOW_PRIVATE_CALLBACKS, default ${DEFAULT-VALUE}).")
  boolean allowPrivateCallbacks;

  @Option(names = "--request-header-timeout", defaultValue = "${env:REQUEST_HEADER_TIMEOUT:-10000}", description = "Ms a connection on PORT or WS_PORT has to send a whole request head or WebSocket upgrade, and an idle HTTP connection stays open (REQUEST_HEADER_TIMEOUT, default ${DEFAULT-VALUE}).")
  long requestHeaderTimeout;

  @Option(names = "--max-file-size", defaultValue = "${env:MAX_FILE_SIZE:-1099511627776}", description = "Largest file in bytes a pull takes (MAX_FILE_SIZE, default ${DEFAULT-VALUE}, 1 TiB).")
  long maxFileSize;

  @Option(names = "--tls-cert", defaultValue = "${env:TLS_CERT}", description = "PEM certificate chain: TLS on both ports, with --tls-key; reloaded when it changes (TLS_CERT).")
  String tlsCert;

  @Option(names = "--tls-key", defaultValue = "${env:TLS_KEY}", description = "PEM private key of --tls-cert (TLS_KEY).")
  String tlsKey;

  @Option(names = "--self-signed", description = "Without TLS_CERT and TLS_KEY: TLS with a self-signed certificate made once in DATA_DIR; prints its fingerprint for agents to pin.")
  boolean selfSigned;

  @Option(names = "--tls-reload-interval", defaultValue = "${env:TLS_RELOAD_INTERVAL:-10000}", description = "Ms between looks at TLS_CERT and TLS_KEY for a changed pair (TLS_RELOAD_INTERVAL, default ${DEFAULT-VALUE}).")
  long tlsReloadInterval;

  @Option(names = "--database-url", defaultValue = "${env:DATABASE_URL}", description = "PostgreSQL job store, postgresql://user:password@host:5432/db; unset means files under DATA_DIR (DATABASE_URL).")
  String databaseUrl;

  @Option(names = "--database-pool-size", defaultValue = "${env:DATABASE_POOL_SIZE:-4}", description = "Connections the PostgreSQL job store keeps at most (DATABASE_POOL_SIZE, default ${DEFAULT-VALUE}).")
  int databasePoolSize;

  @Option(names = "--allow-unenrolled", defaultValue = "${env:ALLOW_UNENROLLED:-false}", description = "Let agents that never enrolled register without a proof, under any new id; for labs only (ALLOW_UNENROLLED, default ${DEFAULT-VALUE}).")
  boolean allowUnenrolled;

  ServerConfig toConfig() {
    if (chunkSize < 1 || chunkSize > Protocol.MAX_CHUNK_SIZE) {
      throw new IllegalArgumentException("CHUNK_SIZE must be between 1 and " + Protocol.MAX_CHUNK_SIZE);
    }
    if (chunkWindow < 1 || maxActivePulls < 1 || maxChunkRetryAttempts < 0 || webhookMaxAttempts < 1
      || maxAgentConnections < 1 || maxAgentConnectionsPerAddress < 1 || databasePoolSize < 1 || maxBatchSize < 1) {
      throw new IllegalArgumentException("CHUNK_WINDOW, MAX_ACTIVE_PULLS, WEBHOOK_MAX_ATTEMPTS, MAX_AGENT_CONNECTIONS, "
        + "MAX_AGENT_CONNECTIONS_PER_ADDRESS, DATABASE_POOL_SIZE and MAX_BATCH_SIZE must be at least 1 and MAX_CHUNK_RETRY_ATTEMPTS at least 0");
    }
    if (chunkRetryDelay < 1 || chunkTimeout < 1 || heartbeatInterval < 1 || downloadTimeout < 1 || queueTimeout < 1
      || resumeTimeout < 1 || jobRetention < 1 || linkTtl < 1 || webhookRetryDelay < 1 || webhookTimeout < 1 || sseHeartbeat < 1
      || requestHeaderTimeout < 1 || tlsReloadInterval < 1 || registerTimeout < 1) {
      throw new IllegalArgumentException("every duration (CHUNK_RETRY_DELAY, CHUNK_TIMEOUT, HEARTBEAT_INTERVAL, "
        + "DOWNLOAD_TIMEOUT, QUEUE_TIMEOUT, RESUME_TIMEOUT, JOB_RETENTION, LINK_TTL, WEBHOOK_RETRY_DELAY, WEBHOOK_TIMEOUT, SSE_HEARTBEAT, REQUEST_HEADER_TIMEOUT, TLS_RELOAD_INTERVAL, REGISTER_TIMEOUT) must be at least 1 ms");
    }
    if (maxBodySize < 1) {
      throw new IllegalArgumentException("MAX_BODY_SIZE must be at least 1 byte");
    }
    if (apiToken != null && !apiToken.isBlank() && apiToken.length() < 16) {
      throw new IllegalArgumentException("API_TOKEN gives full control: make it at least 16 characters (e.g. openssl rand -base64 32)");
    }
    if (maxFileSize < 0 || maxPullRate < 0 || maxTotalRate < 0 || apiRateLimit < 0 || maxEventStreams < 0) {
      throw new IllegalArgumentException(
        "MAX_FILE_SIZE, MAX_PULL_RATE, MAX_TOTAL_RATE, API_RATE_LIMIT and MAX_EVENT_STREAMS must be at least 0");
    }
    if (blank(tlsCert) != blank(tlsKey)) {
      throw new IllegalArgumentException("TLS_CERT and TLS_KEY go together: set both for TLS, or neither for plain text");
    }
    if (webhookSecret != null && !webhookSecret.isBlank() && !webhookSecret.startsWith("whsec_")) {
      throw new IllegalArgumentException("WEBHOOK_SECRET must look like whsec_<base64>, as Standard Webhooks defines");
    }
    return ServerConfig.defaults().setHost(host).setPort(port).setWsPort(wsPort).setDownloadDir(downloadDir)
      .setDataDir(dataDir).setChunkSize(chunkSize).setChunkWindow(chunkWindow)
      .setMaxChunkRetryAttempts(maxChunkRetryAttempts).setChunkRetryDelay(chunkRetryDelay).setChunkTimeout(chunkTimeout)
      .setHeartbeatInterval(heartbeatInterval).setDownloadTimeout(downloadTimeout).setQueueTimeout(queueTimeout)
      .setMaxActivePulls(maxActivePulls).setMaxBatchSize(maxBatchSize).setMaxPullRate(maxPullRate).setMaxTotalRate(maxTotalRate)
      .setApiRateLimit(apiRateLimit).setMaxEventStreams(maxEventStreams).setMaxAgentConnections(maxAgentConnections).setRegisterTimeout(registerTimeout)
      .setMaxAgentConnectionsPerAddress(maxAgentConnectionsPerAddress).setResumeTimeout(resumeTimeout).setJobRetention(jobRetention).setApiToken(apiToken).setAllowUnauthenticatedApi(allowUnauthenticatedApi).setMaxBodySize(maxBodySize).setPublicUrl(publicUrl).setLinkSecret(linkSecret)
      .setLinkTtl(linkTtl).setWebhookSecret(webhookSecret).setWebhookMaxAttempts(webhookMaxAttempts)
      .setWebhookRetryDelay(webhookRetryDelay).setWebhookTimeout(webhookTimeout).setSseHeartbeat(sseHeartbeat)
      .setMinFreeSpace(minFreeSpace).setAllowPrivateCallbacks(allowPrivateCallbacks)
      .setRequestHeaderTimeout(requestHeaderTimeout).setMaxFileSize(maxFileSize)
      .setTlsCert(tlsCert).setTlsKey(tlsKey).setSelfSigned(selfSigned).setTlsReloadInterval(tlsReloadInterval)
      .setDatabaseUrl(databaseUrl).setDatabasePoolSize(databasePoolSize).setAllowUnenrolled(allowUnenrolled);
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
