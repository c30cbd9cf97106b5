package io.silentmode.server.http;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;

/** Content links: HMAC-SHA256 over method, path and expiry, so a link opens one file, read-only, until it expires. */
final class LinkSigner {

  private final SecretKeySpec key;

  LinkSigner(String secret) {
    this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
  }

  String sign(String method, String path, long expiresEpochSeconds) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      byte[] sig = mac.doFinal((method + "\n" + path + "\n" + expiresEpochSeconds).getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(sig);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
    }
  }

  /** Constant-time, so the comparison leaks nothing about the right signature. */
  boolean verify(String method, String path, long expiresEpochSeconds, String signature) {
    return MessageDigest.isEqual(sign(method, path, expiresEpochSeconds).getBytes(StandardCharsets.UTF_8),
      signature.getBytes(StandardCharsets.UTF_8));
  }
}
