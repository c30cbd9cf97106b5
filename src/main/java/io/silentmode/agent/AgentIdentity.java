package io.silentmode.agent;

import io.silentmode.protocol.AgentProof;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

/**
 * Who this agent is to the server (docs/PROTOCOL.md §4a): its clientId and the Ed25519 key it enrolled, kept in the
 * state file (AGENT_STATE_FILE, mode 600), or only in memory when there is none (the swarm's agents). The key is made
 * before the first enrollment is sent and written to the file at once, so an enrollment whose answer is lost can be
 * sent again with the same key. Loading and saving block: call them off the event loop.
 */
final class AgentIdentity {

  private final String clientId;
  private final Path stateFile;
  private final String enrollmentToken;
  private final KeyPair keys;
  /** The server said it took the key: REGISTER then carries a proof alone, no enrollment token. */
  private volatile boolean enrolled;

  private AgentIdentity(String clientId, Path stateFile, String enrollmentToken, KeyPair keys, boolean enrolled) {
    this.clientId = clientId;
    this.stateFile = stateFile;
    this.enrollmentToken = enrollmentToken;
    this.keys = keys;
    this.enrolled = enrolled;
  }

  /**
   * The identity in {@code stateFile} (null: none kept), or a new key when there is none and an enrollment token
   * to enroll it with; with neither, an agent that registers unenrolled (a server with ALLOW_UNENROLLED takes it).
   */
  static AgentIdentity load(String clientId, Path stateFile, String enrollmentToken) throws IOException {
    String token = enrollmentToken == null || enrollmentToken.isBlank() ? null : enrollmentToken.trim();
    if (stateFile != null && Files.exists(stateFile)) {
      return read(clientId, stateFile, token);
    }
    if (token == null) {
      return new AgentIdentity(clientId, stateFile, null, null, false);
    }
    AgentIdentity created = new AgentIdentity(clientId, stateFile, token, AgentProof.newKeyPair(), false);
    created.save();
    return created;
  }

  /** A new key enrolled with {@code token} and kept in memory only (null token: unenrolled); nothing blocks. */
  static AgentIdentity inMemory(String clientId, String token) {
    return token == null ? new AgentIdentity(clientId, null, null, null, false)
      : new AgentIdentity(clientId, null, token, AgentProof.newKeyPair(), false);
  }

  private static AgentIdentity read(String clientId, Path stateFile, String token) throws IOException {
    JsonObject state;
    try {
      state = new JsonObject(Files.readString(stateFile, StandardCharsets.UTF_8));
    } catch (DecodeException e) {
      throw new IOException("state file " + stateFile + " is not JSON: " + e.getMessage());
    }
    if (!clientId.equals(state.getString("clientId"))) {
      throw new IOException("state file " + stateFile + " belongs to agent " + state.getString("clientId")
        + ", not " + clientId + ": give each agent its own AGENT_STATE_FILE");
    }
    try {
      PrivateKey key = KeyFactory.getInstance("Ed25519")
        .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(state.getString("privateKey"))));
      KeyPair keys = new KeyPair(AgentProof.publicKey(state.getString("publicKey")), key);
      return new AgentIdentity(clientId, stateFile, token, keys, state.getBoolean("enrolled", false));
    } catch (GeneralSecurityException | IllegalArgumentException | NullPointerException e) {
      throw new IOException("state file " + stateFile + " holds no usable key: " + e.getMessage());
    }
  }

  /**
   * REGISTER with what proves this agent on the connection whose CHALLENGE sent {@code nonce}: the proof, and until
   * the server said it took the key, the enrollment token and the public key.
   */
  JsonObject prove(JsonObject register, String nonce) {
    if (keys == null) {
      return register;
    }
    register.put("proof", AgentProof.sign(keys.getPrivate(), nonce, clientId));
    if (!enrolled && enrollmentToken != null) {
      register.put("enrollment", new JsonObject().put("token", enrollmentToken)
        .put("publicKey", AgentProof.encode(keys.getPublic())));
    }
    return register;
  }

  /** Whether the agent can enroll (again): it has a key and the enrollment token. */
  boolean canEnroll() {
    return keys != null && enrollmentToken != null;
  }

  boolean enrolled() {
    return enrolled;
  }

  /** The server took the key (REGISTER_ACK {@code enrolled}), or asks for it again (AGENT_NOT_ENROLLED). Blocking. */
  void enrolled(boolean now) throws IOException {
    if (enrolled != now) {
      enrolled = now;
      save();
    }
  }

  /** For an identity kept in memory: the server took the key once ({@code true}), and it stays taken. */
  void enrolledInMemory(boolean now) {
    enrolled |= now;
  }

  /** Written to a new file of mode 600 next to the state file, then moved over it: never a half-written key. */
  private void save() throws IOException {
    if (stateFile == null) {
      return;
    }
    Path dir = stateFile.toAbsolutePath().getParent();
    if (!Files.isDirectory(dir)) { // made for the key: nobody else's to list
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    Path temp = Files.createTempFile(dir, stateFile.getFileName().toString(), ".tmp",
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      Files.writeString(temp, new JsonObject()
        .put("clientId", clientId)
        .put("publicKey", AgentProof.encode(keys.getPublic()))
        .put("privateKey", Base64.getEncoder().encodeToString(keys.getPrivate().getEncoded()))
        .put("enrolled", enrolled)
        .encodePrettily(), StandardCharsets.UTF_8);
      Files.move(temp, stateFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
