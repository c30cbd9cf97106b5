package io.silentmode.server.webhook;

import io.vertx.core.buffer.Buffer;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;

/**
 * Standard Webhooks symmetric signature: {@code v1,<base64 HMAC-SHA256 of "id.timestamp.body">}, keyed with the
 * base64 bytes after the {@code whsec_} prefix of the secret.
 */
final class WebhookSignature {

  private static final String PREFIX = "whsec_";
  private static final String HMAC = "HmacSHA256";

  private final SecretKeySpec key;

  WebhookSignature(String secret) {
    if (!secret.startsWith(PREFIX)) {
      throw new IllegalArgumentException("webhook secret must look like " + PREFIX + "<base64>");
    }
    key = new SecretKeySpec(Base64.getDecoder().decode(secret.substring(PREFIX.length())), HMAC);
  }

  /** The value of the {@code webhook-signature} header for one attempt. */
  String sign(String id, long timestamp, Buffer body) {
    try {
      // A Mac is stateful and cheap to create: one per signature keeps this class safe to share.
      Mac mac = Mac.getInstance(HMAC);
      mac.init(key);
      mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
      return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body.getBytes()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every Java runtime has " + HMAC, e);
    }
  }
}
