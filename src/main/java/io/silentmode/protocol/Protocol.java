package io.silentmode.protocol;

import io.vertx.core.json.JsonObject;

/** Constants and builders for the JSON control messages. The wire format is documented in docs/PROTOCOL.md. */
public final class Protocol {

  /** Bumped on any incompatible change; REGISTER carries it and the server refuses other versions. */
  public static final int VERSION = 1;

  /** Upper bound on CHUNK_SIZE, so WebSocket message limits can be derived from it. */
  public static final int MAX_CHUNK_SIZE = 16 * 1024 * 1024;

  /** Most WebSocket frames one message may come in; the server closes with 1009 beyond. */
  public static final int MAX_FRAGMENTS = 4096;

  /** WebSocket close code sent when the server drops or replaces an agent connection. */
  public static final short CLOSE_POLICY = 1008;
  /** RFC 6455's registry: the server is over a limit; the agent reconnects with its backoff. */
  public static final short CLOSE_TRY_AGAIN_LATER = 1013;
  /** Application close codes (RFC 6455 §7.4.2, 4000-4999) of a refused identity: docs/PROTOCOL.md §14. */
  public static final short CLOSE_NOT_ENROLLED = 4001;
  public static final short CLOSE_AUTH_FAILED = 4003;
  public static final short CLOSE_REVOKED = 4004;
  public static final short CLOSE_ENROLLMENT_REFUSED = 4005;

  private Protocol() {
  }

  public static JsonObject message(MessageType type) {
    return new JsonObject().put("type", type.name());
  }

  /** An agent's first message on a connection (docs/PROTOCOL.md §4). */
  public static JsonObject register(String clientId, String agentVersion, JsonObject metadata) {
    return message(MessageType.REGISTER).put("clientId", clientId).put("protocolVersion", VERSION)
      .put("agentVersion", agentVersion).put("metadata", metadata);
  }

  /** The same with labels; an agent without any sends the REGISTER it sent before labels existed. */
  public static JsonObject register(String clientId, String agentVersion, JsonObject metadata, JsonObject labels) {
    JsonObject register = register(clientId, agentVersion, metadata);
    return labels.isEmpty() ? register : register.put("labels", labels);
  }

  /** An agent's answer to a PING, echoing its timestamp (docs/PROTOCOL.md §5). */
  public static JsonObject pong(JsonObject ping) {
    return message(MessageType.PONG).put("timestamp", ping.getString("timestamp"));
  }

  /** The close code for a rejection with {@code code}: its own for a refused identity, 1008 for the rest. */
  public static short closeCode(ErrorCode code) {
    return switch (code) {
      case AGENT_NOT_ENROLLED -> CLOSE_NOT_ENROLLED;
      case AGENT_AUTH_FAILED -> CLOSE_AUTH_FAILED;
      case AGENT_REVOKED -> CLOSE_REVOKED;
      case ENROLLMENT_REFUSED -> CLOSE_ENROLLMENT_REFUSED;
      default -> CLOSE_POLICY;
    };
  }

  public static JsonObject error(String requestId, ErrorCode code, String text) {
    return message(MessageType.ERROR).put("requestId", requestId).put("code", code.name()).put("message", text);
  }

  /**
   * What is wrong with the types of a control message's common fields, or null: {@code type}, {@code requestId},
   * {@code code}, {@code message}, {@code agentVersion} and {@code proof} are strings or absent, {@code success} a boolean or
   * absent. Checked before anything reads them, so a peer cannot make a reader throw.
   */
  public static String wrongFieldTypes(JsonObject message) {
    for (String field : new String[] {"type", "requestId", "code", "message", "agentVersion", "proof"}) {
      Object value = message.getValue(field);
      if (value != null && !(value instanceof String)) {
        return "'" + field + "' must be a string";
      }
    }
    Object success = message.getValue("success");
    return success == null || success instanceof Boolean ? null : "'success' must be true or false";
  }

  public static MessageType typeOf(JsonObject message) {
    return MessageType.parse(message.getString("type"));
  }
}
