package io.silentmode.server.registry;

import io.silentmode.protocol.AgentProof;
import io.silentmode.protocol.ErrorCode;
import io.vertx.core.json.JsonObject;

/**
 * Who may register under a clientId (docs/PROTOCOL.md §4a), decided before a connection may replace a live one:
 * a revoked agent never; an enrolled one only with a proof that verifies with its key; one offering a new key only
 * with the current enrollment token (the gateway says whether it was) and if the id has no other key; one with
 * neither only when ALLOW_UNENROLLED.
 */
final class Admission {

  /** What the registry keeps of an agent's identity, in its record: {@code {status, publicKey?, enrolledAt?, revokedAt?}}. */
  static final String FIELD = "enrollment";
  static final String ENROLLED = "enrolled";
  static final String REVOKED = "revoked";
  /** An operator allowed the agent to enroll again: no key until it does. */
  static final String OPEN = "open";

  /** Why a REGISTER is refused. */
  record Refusal(ErrorCode code, String message) {
  }

  private Admission() {
  }

  /** What a REGISTER needs besides its proof: a refusal already, or the key the proof must verify with (null: none). */
  record Decision(Refusal refusal, String key) {
  }

  /** Everything but the signature check, which costs about half a millisecond and is {@link #proofRefusal}'s. */
  static Decision decide(JsonObject known, JsonObject registration, boolean allowUnenrolled) {
    String clientId = registration.getString("clientId");
    JsonObject enrollment = known == null ? null : known.getJsonObject(FIELD);
    if (enrollment != null && REVOKED.equals(enrollment.getString("status"))) {
      return refused(ErrorCode.AGENT_REVOKED, "agent " + clientId + " was revoked by an operator; "
        + "only an operator's re-enroll lets it back");
    }
    String key = enrollment == null ? null : enrollment.getString("publicKey");
    String offered = registration.getString("publicKey");
    if (offered != null && key != null && !key.equals(offered)) {
      return refused(ErrorCode.ENROLLMENT_REFUSED, "agent " + clientId + " is enrolled with another key; "
        + "an operator must re-enroll it before a new key is taken");
    }
    // A new key needs the current token; the key already enrolled (its REGISTER_ACK was lost, and the token rotated
    // since) is proven by its signature alone.
    if (offered != null && !offered.equals(key) && !registration.getBoolean("tokenValid", false)) {
      return refused(ErrorCode.ENROLLMENT_REFUSED, "the enrollment token is not this server's current one");
    }
    String checkWith = offered != null ? offered : key;
    if (checkWith == null && !allowUnenrolled) {
      return refused(ErrorCode.AGENT_NOT_ENROLLED, "agent " + clientId
        + " is not enrolled: start it once with the server's enrollment token (ALLOW_UNENROLLED is off)");
    }
    return new Decision(null, checkWith);
  }

  /** Null when the REGISTER's proof verifies with {@code key}. Blocking in effect: run it off the event loop. */
  static Refusal proofRefusal(String key, JsonObject registration) {
    String clientId = registration.getString("clientId");
    if (!AgentProof.verify(key, registration.getString("nonce"), clientId, registration.getString("proof"))) {
      return new Refusal(ErrorCode.AGENT_AUTH_FAILED, registration.getString("proof") == null
        ? "agent " + clientId + " is enrolled: its REGISTER needs a proof"
        : "the proof of agent " + clientId + " does not verify with its key for this connection's CHALLENGE");
    }
    return null;
  }

  private static Decision refused(ErrorCode code, String message) {
    return new Decision(new Refusal(code, message), null);
  }
}
