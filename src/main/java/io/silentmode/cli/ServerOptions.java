package io.silentmode.cli;

import io.silentmode.protocol.Protocol;
import io.silentmode.server.ServerConfig;
import picocli.CommandLine.Option;

/** Server settings: each has a flag, an environment variable and a default (the table in README.md). */
public class ServerOptions {

  @Option(names = "--host", defaultValue = "${env:HOST:-0.0.0.0}", description = "Interface to listen on (HOST, default ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--ws-port", defaultValue = "${env:WS_PORT:-8080}", description = "Port agents dial (WS_PORT, default ${DEFAULT-VALUE}).")
  int wsPort;

  @Option(names = "--download-dir", defaultValue = "${env:DOWNLOAD_DIR:-./downloads}", description = "Where verified files land (DOWNLOAD_DIR, default ${DEFAULT-VALUE}).")
  String downloadDir;

  @Option(names = "--chunk-size", defaultValue = "${env:CHUNK_SIZE:-1048576}", description = "Chunk size in bytes, at most 16 MiB (CHUNK_SIZE, default ${DEFAULT-VALUE}).")
  int chunkSize;

  @Option(names = "--chunk-window", defaultValue = "${env:CHUNK_WINDOW:-8}", description = "Chunks in flight per pull (CHUNK_WINDOW, default ${DEFAULT-VALUE}).")
  int chunkWindow;

  @Option(names = "--max-chunk-retry-attempts", defaultValue = "${env:MAX_CHUNK_RETRY_ATTEMPTS:-3}", description = "Retries of one chunk before the pull fails (MAX_CHUNK_RETRY_ATTEMPTS, default ${DEFAULT-VALUE}).")
  int maxChunkRetryAttempts;

  @Option(names = "--chunk-retry-delay", defaultValue = "${env:CHUNK_RETRY_DELAY:-1000}", description = "First retry delay in ms, doubling (CHUNK_RETRY_DELAY, default ${DEFAULT-VALUE}).")
  long chunkRetryDelay;

  @Option(names = "--chunk-timeout", defaultValue = "${env:CHUNK_TIMEOUT:-30000}", description = "Ms to wait for an asked-for chunk (CHUNK_TIMEOUT, default ${DEFAULT-VALUE}).")
  long chunkTimeout;

  @Option(names = "--heartbeat-interval", defaultValue = "${env:HEARTBEAT_INTERVAL:-30000}", description = "Ms between PINGs; 3 missed drop the agent (HEARTBEAT_INTERVAL, default ${DEFAULT-VALUE}).")
  long heartbeatInterval;

  @Option(names = "--download-timeout", defaultValue = "${env:DOWNLOAD_TIMEOUT:-3600000}", description = "Ms a whole pull may take (DOWNLOAD_TIMEOUT, default ${DEFAULT-VALUE}).")
  long downloadTimeout;

  ServerConfig toConfig() {
    if (chunkSize < 1 || chunkSize > Protocol.MAX_CHUNK_SIZE) {
      throw new IllegalArgumentException("CHUNK_SIZE must be between 1 and " + Protocol.MAX_CHUNK_SIZE);
    }
    if (chunkWindow < 1 || maxChunkRetryAttempts < 0) {
      throw new IllegalArgumentException("CHUNK_WINDOW must be at least 1 and MAX_CHUNK_RETRY_ATTEMPTS at least 0");
    }
    if (chunkRetryDelay < 1 || chunkTimeout < 1 || heartbeatInterval < 1 || downloadTimeout < 1) {
      throw new IllegalArgumentException(
        "CHUNK_RETRY_DELAY, CHUNK_TIMEOUT, HEARTBEAT_INTERVAL and DOWNLOAD_TIMEOUT must be at least 1 ms");
    }
    return new ServerConfig(host, wsPort, downloadDir, chunkSize, chunkWindow, maxChunkRetryAttempts, chunkRetryDelay,
      chunkTimeout, heartbeatInterval, downloadTimeout);
  }
}
