package io.silentmode.protocol;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;

/**
 * How an agent proves its identity on a connection (docs/PROTOCOL.md §4a): an Ed25519 signature, with the key it
 * enrolled, over {@link #signedBytes} of the server's one-time nonce and its clientId. The server keeps only the
 * public key, so it holds nothing an agent could be impersonated with; the nonce is new on every connection, so a
 * proof seen on one is worth nothing on another.
 * On the wire keys, nonces and signatures are unpadded base64url; a public key is its raw 32 bytes (RFC 8032).
 */
public final class AgentProof {

  /** What the signed bytes start with, so a signature made for anything else is never a proof. */
  public static final String CONTEXT = "silentmode-agent-proof-v1";
  public static final int NONCE_BYTES = 32;
  /** The fixed DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw key follows it (RFC 8410). */
  private static final byte[] X509_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
  private static final SecureRandom RANDOM = new SecureRandom();

  private AgentProof() {
  }

  /** A new random nonce, as the server sends it in CHALLENGE. */
  public static String nonce() {
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    return encode(nonce);
  }

  /** {@code CONTEXT \n nonce \n clientId} in UTF-8, the nonce as the text the server sent. */
  public static byte[] signedBytes(String nonce, String clientId) {
    return (CONTEXT + "\n" + nonce + "\n" + clientId).getBytes(StandardCharsets.UTF_8);
  }

  public static KeyPair newKeyPair() {
    try {
      return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM has no Ed25519", e);
    }
  }

  /** The proof of REGISTER: base64url of the 64-byte Ed25519 signature. */
  public static String sign(PrivateKey key, String nonce, String clientId) {
    try {
      Signature signature = Signature.getInstance("Ed25519");
      signature.initSign(key);
      signature.update(signedBytes(nonce, clientId));
      return encode(signature.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign with the agent's key", e);
    }
  }

  /** Whether {@code proof} is {@code publicKey}'s signature for this nonce and clientId; false for anything malformed. */
  public static boolean verify(String publicKey, String nonce, String clientId, String proof) {
    try {
      Signature signature = Signature.getInstance("Ed25519");
      signature.initVerify(publicKey(publicKey));
      signature.update(signedBytes(nonce, clientId));
      return signature.verify(Base64.getUrlDecoder().decode(proof));
    } catch (GeneralSecurityException | IllegalArgumentException | NullPointerException e) {
      return false;
    }
  }

  /** The raw 32-byte key, base64url, as REGISTER's {@code enrollment.publicKey} carries it. */
  public static String encode(PublicKey key) {
    byte[] der = key.getEncoded();
    return encode(Arrays.copyOfRange(der, X509_PREFIX.length, der.length));
  }

  /** Whether {@code text} is a well-formed public key. */
  public static boolean isPublicKey(String text) {
    try {
      publicKey(text);
      return true;
    } catch (GeneralSecurityException | IllegalArgumentException | NullPointerException e) {
      return false;
    }
  }

  /** The key REGISTER's {@code enrollment.publicKey} names. */
  public static PublicKey publicKey(String text) throws GeneralSecurityException {
    byte[] raw = Base64.getUrlDecoder().decode(text);
    if (raw.length != 32) {
      throw new IllegalArgumentException("an Ed25519 public key has 32 bytes");
    }
    byte[] der = Arrays.copyOf(X509_PREFIX, X509_PREFIX.length + raw.length);
    System.arraycopy(raw, 0, der, X509_PREFIX.length, raw.length);
    return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
  }

  private static String encode(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
