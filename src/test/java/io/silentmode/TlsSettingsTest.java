package io.silentmode;

import io.silentmode.Commands.Run;
import io.silentmode.server.Server;
import io.silentmode.server.ServerConfig;
import io.silentmode.server.tls.SelfSignedCertificate;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static io.silentmode.Commands.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** TLS settings that cannot work stop the server, the agent and the CLI at once, with one line saying why. */
@ExtendWith(VertxExtension.class)
class TlsSettingsTest {

  @TempDir
  Path dir;

  /** Runs {@code server} on free ports in the temp directory with {@code tls}; it must not start. */
  private Run server(String... tls) {
    List<String> args = Stream.concat(Stream.of("server", "--host", "127.0.0.1", "--port", "0", "--ws-port", "0",
      "--data-dir", dir.resolve("data").toString(), "--download-dir", dir.resolve("downloads").toString()), Stream.of(tls)).toList();
    Run r = run(args.toArray(String[]::new));
    assertEquals(2, r.code(), r.err());
    assertEquals(1, r.err().strip().lines().count(), "one line, no stack trace: " + r.err());
    return r;
  }

  @Test
  void the_server_refuses_half_a_pair_unreadable_files_and_a_key_of_another_certificate() throws Exception {
    Path cert = dir.resolve("tls.crt");
    Path key = dir.resolve("tls.key");
    SelfSignedCertificate.make(cert, key, Set.of("localhost"));
    SelfSignedCertificate.make(dir.resolve("other.crt"), dir.resolve("other.key"), Set.of("localhost"));
    Files.writeString(dir.resolve("junk.pem"), "not a certificate\n");

    assertTrue(server("--tls-cert", cert.toString()).err().contains("TLS_CERT and TLS_KEY go together"));
    assertTrue(server("--tls-key", key.toString()).err().contains("TLS_CERT and TLS_KEY go together"));
    String missing = server("--tls-cert", dir.resolve("nope.crt").toString(), "--tls-key", key.toString()).err();
    assertTrue(missing.contains("TLS_CERT " + dir.resolve("nope.crt") + " cannot be read: no such file"), missing);
    String junk = server("--tls-cert", dir.resolve("junk.pem").toString(), "--tls-key", key.toString()).err();
    assertTrue(junk.contains("must be a PEM certificate chain and its PEM private key"), junk);
    String mismatch = server("--tls-cert", cert.toString(), "--tls-key", dir.resolve("other.key").toString()).err();
    assertTrue(mismatch.contains("is not the private key of the certificate"), mismatch);
  }

  @Test
  void a_server_started_in_code_with_half_a_pair_does_not_start(Vertx vertx) {
    ServerConfig config = ServerConfig.defaults().setHost("127.0.0.1").setPort(0).setWsPort(0)
      .setDataDir(dir.resolve("data").toString()).setDownloadDir(dir.resolve("downloads").toString())
      .setTlsCert(dir.resolve("tls.crt").toString());
    Exception e = assertThrows(IllegalArgumentException.class, () -> Server.start(vertx, config).await());
    assertTrue(e.getMessage().contains("TLS_CERT and TLS_KEY go together"), e.getMessage());
  }

  @Test
  void agent_and_cli_refuse_trust_settings_that_cannot_work() {
    String pin = "AB:".repeat(31) + "AB";
    Run plain = run("agent", "--server", "ws://127.0.0.1:1", "--server-fingerprint", pin);
    assertEquals(2, plain.code());
    assertTrue(plain.err().contains("is not wss://"), plain.err());
    Run bad = run("agent", "--server", "wss://127.0.0.1:1", "--server-fingerprint", "12:34");
    assertEquals(2, bad.code());
    assertTrue(bad.err().contains("64 hex digits"), bad.err());
    Run both = run("agent", "--server", "wss://127.0.0.1:1", "--server-fingerprint", pin, "--server-ca", "ca.pem");
    assertEquals(2, both.code());
    assertTrue(both.err().contains("not both"), both.err());
    Run noCa = run("agent", "--server", "wss://127.0.0.1:1", "--server-ca", dir.resolve("ca.pem").toString());
    assertEquals(2, noCa.code());
    assertTrue(noCa.err().contains("SERVER_CA " + dir.resolve("ca.pem") + " cannot be read: no such file"), noCa.err());

    Run cli = run("clients", "list", "--server", "http://127.0.0.1:1", "--server-fingerprint", pin);
    assertEquals(2, cli.code());
    assertTrue(cli.err().contains("is not https://"), cli.err());
  }
}
