package io.silentmode.agent;

/**
 * The agent's settings, built once from flags, environment and defaults (see the CLI).
 * {@code maxReconnectAttempts} 0 means reconnect forever; {@code prehashDelay} 0 means never hash ahead of a pull;
 * durations are milliseconds.
 */
public record AgentConfig(String clientId, String serverUrl, String filePath, long reconnectInterval,
                          int maxReconnectAttempts, long prehashDelay) {
}
