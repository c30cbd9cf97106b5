package io.silentmode.server.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The form of an API token: {@code smt_<id>.<secret>}, the id 16 hex digits (public: listed, audited), the secret
 * 32 random bytes in base64url. The server keeps only SHA-256 of the whole token. A slow password hash (bcrypt,
 * Argon2) defends guessable secrets against a stolen store; these secrets are 256 random bits, out of reach of
 * guessing whatever the hash, so one fast hash is enough and keeps every request's check in microseconds.
 */
public final class TokenSecret {

  private static final Pattern FORM = Pattern.compile("smt_([0-9a-f]{16})\\.[A-Za-z0-9_-]{43}");
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A new token: its id and the whole secret string, shown once. */
  public record Issued(String id, String token) {
  }

  private TokenSecret() {
  }

  public static Issued issue() {
    byte[] id = new byte[8];
    byte[] secret = new byte[32];
    RANDOM.nextBytes(id);
    RANDOM.nextBytes(secret);
    String hexId = HexFormat.of().formatHex(id);
    return new Issued(hexId, "smt_" + hexId + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(secret));
  }

  /** The id a token claims, or null when {@code token} is not of the form at all. */
  public static String idOf(String token) {
    Matcher m = token == null ? null : FORM.matcher(token);
    return m != null && m.matches() ? m.group(1) : null;
  }

  /** SHA-256 of the whole token, in hex: what the store keeps and what a presented token is compared by. */
  public static String hash(String token) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** Constant-time comparison of two hashes (or any two strings): the time taken says nothing about where they differ. */
  public static boolean same(String a, String b) {
    return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
