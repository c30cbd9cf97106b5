package io.silentmode.server.webhook;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The signer reproduces the test vector the Standard Webhooks reference libraries check themselves against (the
 * Svix libraries' "sign function works" tests): a receiver's off-the-shelf verifier then accepts what we send.
 */
class WebhookSignatureTest {

  @Test
  void the_published_standard_webhooks_test_vector_signs_exactly() {
    WebhookSignature signer = new WebhookSignature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");

    String signature = signer.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330L, Buffer.buffer("{\"test\": 2432232314}"));

    assertEquals("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", signature);
  }

  @Test
  void a_secret_without_the_whsec_prefix_is_refused() {
    assertThrows(IllegalArgumentException.class, () -> new WebhookSignature("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
  }
}
