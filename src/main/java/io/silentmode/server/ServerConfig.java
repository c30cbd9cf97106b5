package io.silentmode.server;

/**
 * The server's settings, built once (from flags, environment and defaults, see the CLI) and handed to
 * each verticle's constructor. Durations are milliseconds, as in the seed's environment names.
 */
public record ServerConfig(
  String host,
  int wsPort,
  String downloadDir,
  int chunkSize,
  int chunkWindow,
  int maxChunkRetryAttempts,
  long chunkRetryDelay,
  long chunkTimeout,
  long heartbeatInterval,
  long downloadTimeout) {

  public static ServerConfig defaults() {
    return new ServerConfig("0.0.0.0", 8080, "./downloads", 1024 * 1024, 8, 3, 1000, 30_000, 30_000, 3_600_000);
  }

  public ServerConfig withPortAndDir(int port, String downloadDir) {
    return new ServerConfig(host, port, downloadDir, chunkSize, chunkWindow, maxChunkRetryAttempts, chunkRetryDelay,
      chunkTimeout, heartbeatInterval, downloadTimeout);
  }
}
