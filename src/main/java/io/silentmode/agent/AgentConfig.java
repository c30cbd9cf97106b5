package io.silentmode.agent;

import java.util.Arrays;
import java.util.List;

/**
 * The agent's settings, built once from flags, environment and defaults (see the CLI).
 * {@code maxReconnectAttempts} 0 means reconnect forever; {@code prehashDelay} 0 means never hash ahead of a pull;
 * durations are milliseconds. {@code stateFile} keeps the agent's key (null: in memory only); {@code enrollmentToken}
 * enrolls it the first time (null: register with the key of the state file, or unenrolled without one).
 * {@code serverUrl} may list several servers, comma-separated: the nodes of a cluster, tried in turn.
 */
public record AgentConfig(String clientId, String serverUrl, String filePath, long reconnectInterval,
                          int maxReconnectAttempts, long prehashDelay, String stateFile, String enrollmentToken) {

  /** An agent with no identity of its own: it registers unenrolled, as a server with ALLOW_UNENROLLED allows. */
  public AgentConfig(String clientId, String serverUrl, String filePath, long reconnectInterval,
                     int maxReconnectAttempts, long prehashDelay) {
    this(clientId, serverUrl, filePath, reconnectInterval, maxReconnectAttempts, prehashDelay, null, null);
  }

  /** The servers to dial, in order: SERVER_WS_URL split at its commas. */
  public List<String> serverUrls() {
    return Arrays.stream(serverUrl.split(",")).map(String::trim).filter(u -> !u.isEmpty()).toList();
  }

  /** The same agent, enrolling with {@code token} and keeping its key in {@code stateFile}. */
  public AgentConfig enrolling(String stateFile, String token) {
    return new AgentConfig(clientId, serverUrl, filePath, reconnectInterval, maxReconnectAttempts, prehashDelay,
      stateFile, token);
  }
}
