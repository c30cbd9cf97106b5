package io.silentmode;

import io.netty.handler.ssl.OpenSslSession;
import io.silentmode.server.tls.SelfSignedCertificate;
import io.silentmode.server.tls.ServerCertificate;
import io.silentmode.server.tls.ServerTls;
import io.silentmode.tls.Fingerprint;
import io.silentmode.tls.ServerTrust;
import io.silentmode.tls.TlsEngine;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLSession;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Both ends take OpenSSL where netty-tcnative's library loads (it does on this Linux machine): the server's listeners
 * as {@link ServerTls} configures them, before and after a certificate reload, and the agent's WebSocket client as
 * {@link ServerTrust} configures it, whose pin it honours. Seen in real handshakes on loopback; TlsTest's agents and
 * servers take the same engine, for CA files and host names.
 */
@ExtendWith(VertxExtension.class)
class TlsEngineTest {

  @TempDir
  Path dir;

  @Test
  void server_and_agent_handshake_with_openssl_and_a_reload_keeps_it(Vertx vertx) throws Exception {
    assertTrue(TlsEngine.openSsl(), "OpenSSL should load on " + System.getProperty("os.name") + " "
      + System.getProperty("os.arch") + ": " + TlsEngine.describe());
    assertTrue(TlsEngine.describe().startsWith("OpenSSL (BoringSSL"), TlsEngine.describe());
    ServerCertificate a = certificate("a");
    ServerCertificate b = certificate("b");
    ServerTls tls = ServerTls.with(a);
    BlockingQueue<SSLSession> accepted = new LinkedBlockingQueue<>();
    HttpServer server = vertx.createHttpServer(tls.configure(new HttpServerOptions().setHost("127.0.0.1").setPort(0)))
      .webSocketHandler(ws -> accepted.add(ws.sslSession()));
    int port = tls.serve(server.listen().await()).actualPort();

    // Kept in a variable: a Vert.x client that nothing refers to is closed by the collector, maybe mid-handshake.
    WebSocketClient agent = vertx.createWebSocketClient(ServerTrust.pinned(a.fingerprint()).configure(new WebSocketClientOptions()));
    SSLSession client = connect(agent, port).sslSession();
    assertInstanceOf(OpenSslSession.class, client, "the agent's end");
    assertInstanceOf(OpenSslSession.class, accepted.poll(10, TimeUnit.SECONDS), "the server's end");
    assertEquals(a.fingerprint(), Fingerprint.of((java.security.cert.X509Certificate) client.getPeerCertificates()[0]));

    tls.update(b).await();
    WebSocketClient pinnedToB = vertx.createWebSocketClient(ServerTrust.pinned(b.fingerprint()).configure(new WebSocketClientOptions()));
    SSLSession reloaded = connect(pinnedToB, port).sslSession();
    assertInstanceOf(OpenSslSession.class, reloaded);
    assertInstanceOf(OpenSslSession.class, accepted.poll(10, TimeUnit.SECONDS), "the server's end after a reload");
    // OpenSSL calls the pin too: the old certificate's is refused now.
    Throwable refused = assertThrows(Exception.class, () -> connect(agent, port));
    assertTrue(String.valueOf(ServerTrust.pinned(a.fingerprint()).describeFailure(refused)).contains("not the pinned " + a.fingerprint()),
      String.valueOf(refused));
    agent.close().await();
    pinnedToB.close().await();
    server.close().await();
  }

  private ServerCertificate certificate(String name) throws Exception {
    Path cert = dir.resolve(name + ".crt");
    Path key = dir.resolve(name + ".key");
    SelfSignedCertificate.make(cert, key, Set.of("localhost", "127.0.0.1"));
    return ServerCertificate.load(cert, key);
  }

  private static WebSocket connect(WebSocketClient client, int port) {
    return client.connect(new WebSocketConnectOptions().setAbsoluteURI("wss://127.0.0.1:" + port + "/")).await();
  }
}
