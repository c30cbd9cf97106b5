package io.silentmode.server.gateway;

import io.silentmode.protocol.AgentProof;
import io.silentmode.protocol.ErrorCode;
import io.silentmode.protocol.Labels;
import io.silentmode.protocol.Protocol;
import io.vertx.core.json.JsonObject;

/**
 * A REGISTER read and checked for shape (docs/PROTOCOL.md §4, steps 3-7), before anything is asked of the registry:
 * what the registry is told, or why the REGISTER is refused. Whether the sender is who it says is the registry's.
 */
record Registration(JsonObject registration, String enrollmentToken, ErrorCode code, String problem) {

  static final int MAX_AGENT_VERSION = 64;
  static final int MAX_METADATA = 4096;
  private static final int MAX_TOKEN = 256;

  static Registration of(JsonObject message) {
    Object id = message.getValue("clientId");
    Object version = message.getValue("protocolVersion");
    if (!Integer.valueOf(Protocol.VERSION).equals(version)) {
      return refused(ErrorCode.PROTOCOL_VERSION_MISMATCH,
        "this server speaks protocol version " + Protocol.VERSION + ", the agent sent " + version);
    }
    if (!(id instanceof String name) || !name.matches("[A-Za-z0-9._-]{1,128}")) {
      return refused(ErrorCode.VALIDATION_FAILED, "clientId must be 1-128 characters of A-Z a-z 0-9 . _ -");
    }
    JsonObject metadata = message.getValue("metadata") instanceof JsonObject meta ? meta : new JsonObject();
    String agentVersion = message.getString("agentVersion");
    // kept in memory and in DATA_DIR for as long as the agent is known: bounded, whoever sends it
    if (agentVersion != null && agentVersion.length() > MAX_AGENT_VERSION || metadata.encode().length() > MAX_METADATA) {
      return refused(ErrorCode.VALIDATION_FAILED, "agentVersion may have at most " + MAX_AGENT_VERSION
        + " characters and metadata at most " + MAX_METADATA + " as JSON");
    }
    Object labels = message.getValue("labels") == null ? new JsonObject() : message.getValue("labels");
    String wrongLabels = Labels.problem(labels);
    if (wrongLabels != null) {
      return refused(ErrorCode.VALIDATION_FAILED, wrongLabels);
    }
    JsonObject registration = new JsonObject()
      .put("clientId", name)
      .put("agentVersion", agentVersion)
      .put("metadata", metadata)
      .put("labels", labels)
      .put("proof", message.getString("proof"));
    Object enrollment = message.getValue("enrollment");
    if (enrollment == null) {
      return new Registration(registration, null, null, null);
    }
    if (!(enrollment instanceof JsonObject e) || !(e.getValue("token") instanceof String token)
      || token.length() > MAX_TOKEN || !(e.getValue("publicKey") instanceof String key) || !AgentProof.isPublicKey(key)) {
      return refused(ErrorCode.VALIDATION_FAILED,
        "enrollment must be {token, publicKey}: a string and a base64url Ed25519 public key of 32 bytes");
    }
    return new Registration(registration.put("publicKey", key), token, null, null);
  }

  private static Registration refused(ErrorCode code, String problem) {
    return new Registration(null, null, code, problem);
  }
}
