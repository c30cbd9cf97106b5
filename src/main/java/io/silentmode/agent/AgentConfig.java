package io.silentmode.agent;

/**
 * The agent's settings, built once from flags, environment and defaults (see the CLI).
 * {@code maxReconnectAttempts} 0 means reconnect forever; durations are milliseconds.
 */
public record AgentConfig(String clientId, String serverUrl, String filePath, long reconnectInterval,
                          int maxReconnectAttempts) {
}
