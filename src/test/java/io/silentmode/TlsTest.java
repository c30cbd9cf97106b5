package io.silentmode;

import io.silentmode.Commands.Run;
import io.silentmode.agent.AgentConfig;
import io.silentmode.agent.AgentVerticle;
import io.silentmode.server.Addresses;
import io.silentmode.server.Server;
import io.silentmode.server.tls.SelfSignedCertificate;
import io.silentmode.tls.Fingerprint;
import io.silentmode.tls.ServerTrust;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;

import static io.silentmode.Commands.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** TLS on both ports, against real servers, agents and the operator CLI on loopback. */
@ExtendWith(VertxExtension.class)
class TlsTest {

  private static final Set<String> LOOPBACK = Set.of("localhost", "127.0.0.1");

  @TempDir
  Path dir;

  @Test
  void a_pull_runs_over_wss_and_https_with_a_self_signed_certificate_made_once(Vertx vertx) throws Exception {
    Fixture fx = new Fixture(vertx, dir).with(c -> c.setSelfSigned(true)).start();
    Fingerprint pin = fx.server.tls().current().fingerprint();
    Path data = dir.resolve("data");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve(SelfSignedCertificate.KEY_FILE))));
    assertEquals(pin, presented(fx.server.wsPort()));
    assertEquals(pin, presented(fx.server.apiPort()));

    Path file = fx.randomFile("file_to_download.txt", 5L * Fixture.CHUNK + 3);
    fx.agent("shop-1", file, "wss://127.0.0.1:" + fx.server.wsPort(), c -> new AgentVerticle(c, ServerTrust.pinned(pin)));
    String api = "https://127.0.0.1:" + fx.server.apiPort();
    Path saved = dir.resolve("copy.txt");
    Run pinned = run("download", "shop-1", "--output", saved.toString(), "--server", api, "--server-fingerprint", pin.toString(),
      "--token", fx.adminToken);
    assertEquals(0, pinned.code(), pinned.err());
    assertEquals(Fixture.sha256(file), Fixture.sha256(saved));

    // The certificate as a CA file, host names checked: it names localhost.
    Run ca = run("clients", "list", "--server", "https://localhost:" + fx.server.apiPort(),
      "--server-ca", data.resolve(SelfSignedCertificate.CERT_FILE).toString(), "--token", fx.adminToken);
    assertEquals(0, ca.code(), ca.err());
    assertTrue(ca.out().contains("shop-1"), ca.out());

    fx.server.stop().await();
    Server again = Server.start(vertx, fx.config).await();
    assertEquals(pin, again.tls().current().fingerprint(), "the pair in DATA_DIR is reused, so pins stay valid");
    again.stop().await();
  }

  @Test
  void the_agent_refuses_a_certificate_other_than_the_pinned_one_and_tries_again_later(Vertx vertx) throws Exception {
    Fixture fx = new Fixture(vertx, dir).with(c -> c.setSelfSigned(true)).start();
    Fingerprint other = Fingerprint.parse("ab".repeat(32));
    try (LogWatch log = new LogWatch("io.silentmode.agent.AgentConnection", Level.WARNING)) {
      AgentVerticle agent = refusedAgent(fx, "wss://127.0.0.1:" + fx.server.wsPort(), ServerTrust.pinned(other));
      String line = log.await(l -> l.startsWith("Refusing"), 10);
      assertTrue(line.contains("TLS handshake failed") && line.contains(fx.server.tls().current().fingerprint().toString())
        && line.contains("not the pinned " + other), line);
      assertTrue(assertThrows(RuntimeException.class, () -> agent.gaveUp().await()).getMessage().contains("gave up"));
    }
    assertNeverRegistered(fx);

    // The operator CLI refuses it too, and says why.
    Run cli = run("clients", "list", "--server", "https://127.0.0.1:" + fx.server.apiPort(), "--server-fingerprint", other.toString());
    assertEquals(3, cli.code());
    assertTrue(cli.err().contains("not the pinned"), cli.err());
  }

  @Test
  void the_agent_refuses_a_server_its_ca_file_does_not_vouch_for_or_made_for_another_name(Vertx vertx) throws Exception {
    Path cert = dir.resolve("tls.crt");
    Path key = dir.resolve("tls.key");
    SelfSignedCertificate.make(cert, key, Set.of("files.example.com"));
    Path stranger = dir.resolve("stranger.crt");
    SelfSignedCertificate.make(stranger, dir.resolve("stranger.key"), LOOPBACK);
    Fixture fx = new Fixture(vertx, dir).with(c -> c.setTlsCert(cert.toString()).setTlsKey(key.toString())).start();
    String url = "wss://127.0.0.1:" + fx.server.wsPort();
    try (LogWatch log = new LogWatch("io.silentmode.agent.AgentConnection", Level.WARNING)) {
      AgentVerticle unvouched = refusedAgent(fx, url, ServerTrust.of(stranger.toString(), null));
      String line = log.await(l -> l.startsWith("Refusing"), 10);
      assertTrue(line.contains("the CA file " + stranger) && line.contains("unable to find valid certification path"), line);
      assertThrows(RuntimeException.class, () -> unvouched.gaveUp().await());
      // Its own certificate is a valid CA file, but not for 127.0.0.1.
      refusedAgent(fx, url, ServerTrust.of(cert.toString(), null));
      line = log.await(l -> l.startsWith("Refusing") && !l.contains("certification path"), 10);
      assertTrue(line.contains("subject alternative names"), line);
    }
    assertNeverRegistered(fx);
    // A pin names the certificate itself, whatever names it was made for.
    fx.agent("shop-1", fx.randomFile("f", 10), url, c -> new AgentVerticle(c, ServerTrust.pinned(fx.server.tls().current().fingerprint())));
  }

  @Test
  void a_changed_pair_reaches_new_connections_without_a_restart_and_a_bad_one_is_refused(Vertx vertx) throws Exception {
    Path cert = dir.resolve("tls.crt");
    Path key = dir.resolve("tls.key");
    SelfSignedCertificate.make(dir.resolve("a.crt"), dir.resolve("a.key"), LOOPBACK);
    SelfSignedCertificate.make(dir.resolve("b.crt"), dir.resolve("b.key"), LOOPBACK);
    install(dir.resolve("a.crt"), cert);
    install(dir.resolve("a.key"), key);
    BlockingQueue<JsonObject> events = new LinkedBlockingQueue<>();
    vertx.eventBus().<JsonObject>consumer(Addresses.TLS_EVENTS, m -> events.add(m.body()));
    Fixture fx = new Fixture(vertx, dir).with(c -> c.setTlsCert(cert.toString()).setTlsKey(key.toString())
      .setTlsReloadInterval(50)).start();
    Fingerprint a = fx.server.tls().current().fingerprint();
    fx.agent("shop-1", fx.randomFile("f", 3L * Fixture.CHUNK), "wss://127.0.0.1:" + fx.server.wsPort(),
      c -> new AgentVerticle(c, ServerTrust.pinned(a)));

    install(dir.resolve("b.key"), key);
    install(dir.resolve("b.crt"), cert);
    JsonObject reloaded = next(events, "reloaded");
    Fingerprint b = Fingerprint.parse(reloaded.getString("fingerprint"));
    assertNotEquals(a, b);
    assertEquals(a.toString(), reloaded.getString("previous"));
    assertEquals(b, presented(fx.server.wsPort()));
    assertEquals(b, presented(fx.server.apiPort()));
    assertEquals("completed", fx.pull("shop-1").getString("status"), "an open connection keeps the certificate it was made with");

    install(dir.resolve("a.crt"), cert); // with b's key: not a pair
    assertTrue(next(events, "refused").getString("error").contains("is not the private key"));
    assertEquals(b, presented(fx.server.wsPort()));
    assertEquals(b, presented(fx.server.apiPort()));
  }

  /** An agent that may try three times (it will be refused each time), deployed without waiting for it. */
  private static AgentVerticle refusedAgent(Fixture fx, String url, ServerTrust trust) {
    AgentVerticle agent = new AgentVerticle(new AgentConfig("shop-1", url, fx.dir.resolve("f").toString(), 20, 2, 0), trust);
    fx.vertx.deployVerticle(agent).await();
    return agent;
  }

  private static void assertNeverRegistered(Fixture fx) {
    assertThrows(RuntimeException.class, () -> fx.request(Addresses.REGISTRY_GET, new JsonObject().put("clientId", "shop-1")));
  }

  /** Replaces {@code target} the way a rotation does: the new file written aside and renamed over it. */
  private static void install(Path source, Path target) throws Exception {
    Path part = target.resolveSibling(target.getFileName() + ".new");
    Files.copy(source, part, StandardCopyOption.REPLACE_EXISTING);
    Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static JsonObject next(BlockingQueue<JsonObject> events, String event) throws InterruptedException {
    while (true) {
      JsonObject e = events.poll(10, TimeUnit.SECONDS);
      if (e == null) {
        throw new AssertionError("no " + event + " event");
      }
      if (event.equals(e.getString("event"))) {
        return e;
      }
    }
  }

  /** The certificate a new TLS connection to {@code port} is shown, whatever it is. */
  static Fingerprint presented(int port) throws Exception {
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, new TrustManager[] {new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    }}, null);
    try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
      socket.startHandshake();
      return Fingerprint.of((X509Certificate) socket.getSession().getPeerCertificates()[0]);
    }
  }
}
