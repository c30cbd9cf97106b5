package io.silentmode;

import io.silentmode.server.Addresses;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.dns.AddressResolverOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A callbackUrl whose DNS name passed the check when the job was made may resolve to a private address when the
 * webhook goes out (DNS rebinding): each delivery resolves it and refuses a non-public address. The server's
 * resolver here reads a hosts entry that maps a public-looking name to loopback, where a receiver listens.
 */
class CallbackRebindingTest {

  private static final String NAME = "hooks.rebind.example";

  @TempDir
  Path dir;
  private final Vertx vertx = Vertx.vertx(new VertxOptions().setAddressResolverOptions(
    new AddressResolverOptions().setHostsValue(Buffer.buffer("127.0.0.1 " + NAME + "\n"))));
  private final AtomicInteger posts = new AtomicInteger();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  @Test
  void a_name_that_resolves_to_loopback_at_delivery_is_not_posted_to() throws Exception {
    Fixture fx = new Fixture(vertx, dir).with(c -> c.setWebhookMaxAttempts(1)).start();
    JsonObject outcome = deliver(fx);

    assertEquals("failed", outcome.getString("outcome"), outcome::encode);
    assertTrue(outcome.getString("error").contains(NAME + " resolves to a loopback address (127.0.0.1)"), outcome::encode);
    assertEquals(0, posts.get(), "nothing reached the receiver");
  }

  @Test
  void with_ALLOW_PRIVATE_CALLBACKS_the_same_name_is_posted_to() throws Exception {
    Fixture fx = new Fixture(vertx, dir).with(c -> c.setWebhookMaxAttempts(1).setAllowPrivateCallbacks(true)).start();
    JsonObject outcome = deliver(fx);

    assertEquals("delivered", outcome.getString("outcome"), outcome::encode);
    assertEquals(1, posts.get());
  }

  /** Pulls a small file with a callbackUrl naming {@link #NAME}, and returns the first delivery's outcome. */
  private JsonObject deliver(Fixture fx) throws Exception {
    HttpServer receiver = vertx.createHttpServer().requestHandler(req -> {
      posts.incrementAndGet();
      req.response().setStatusCode(204).end();
    }).listen(0, "127.0.0.1").await();
    Promise<JsonObject> outcome = Promise.promise();
    vertx.eventBus().<JsonObject>consumer(Addresses.WEBHOOKS_EVENTS, m -> outcome.tryComplete(m.body()));
    fx.agent("shop", fx.randomFile("f.bin", 1000));
    String callback = "http://" + NAME + ":" + receiver.actualPort() + "/hook";
    JsonObject job = fx.request(Addresses.DOWNLOADS_START, new JsonObject().put("clientId", "shop").put("callbackUrl", callback));
    assertEquals("completed", fx.awaitFinal(job).getString("status"));
    return outcome.future().timeout(10, TimeUnit.SECONDS).await();
  }
}
