package io.silentmode.server.tls;

import io.silentmode.server.ServerConfig;
import io.silentmode.tls.TlsEngine;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.ServerSSLOptions;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * TLS of the server's two listeners, the agents' WebSocket port and the API port: off, or on with one certificate
 * that both present and that {@link #update} replaces on both at once.
 */
public final class ServerTls {

  private final List<HttpServer> servers = new CopyOnWriteArrayList<>();
  private volatile ServerCertificate current;

  private ServerTls(ServerCertificate certificate) {
    this.current = certificate;
  }

  public static ServerTls off() {
    return new ServerTls(null);
  }

  public static ServerTls with(ServerCertificate certificate) {
    return new ServerTls(certificate);
  }

  /**
   * From TLS_CERT and TLS_KEY, or else with --self-signed from the pair made in DATA_DIR, whose paths it sets in
   * {@code config} then (the server's own copy); off when none is set. Blocking.
   */
  public static ServerTls from(ServerConfig config) throws IOException {
    if (config.tlsCert() == null && config.tlsKey() == null && config.selfSigned()) {
      Path dataDir = Path.of(config.dataDir());
      SelfSignedCertificate.ensure(dataDir, config.host());
      config.setTlsCert(dataDir.resolve(SelfSignedCertificate.CERT_FILE).toString())
        .setTlsKey(dataDir.resolve(SelfSignedCertificate.KEY_FILE).toString());
    }
    if ((config.tlsCert() == null) != (config.tlsKey() == null)) {
      throw new IllegalArgumentException("TLS_CERT and TLS_KEY go together: set both for TLS, or neither for plain text");
    }
    return config.tlsCert() == null ? off() : with(ServerCertificate.load(Path.of(config.tlsCert()), Path.of(config.tlsKey())));
  }

  public boolean on() {
    return current != null;
  }

  /** The certificate both listeners present now; null when TLS is off. */
  public ServerCertificate current() {
    return current;
  }

  /**
   * {@code options} with TLS on, the current certificate and {@link TlsEngine}'s engine (kept by a reload), or as
   * they are when TLS is off.
   */
  public HttpServerOptions configure(HttpServerOptions options) {
    ServerCertificate certificate = current;
    return certificate == null ? options
      : options.setSsl(true).setKeyCertOptions(certificate.keyCert()).setSslEngineOptions(TlsEngine.options());
  }

  /** A listener that {@link #configure}d its options and is listening, for updates to reach it. */
  public HttpServer serve(HttpServer server) {
    if (on()) {
      servers.add(server);
    }
    return server;
  }

  /**
   * Makes every listener present {@code next} to the connections it accepts from now on; open connections keep
   * the certificate they were made with. A listener that refuses it keeps the one it had.
   */
  public Future<Void> update(ServerCertificate next) {
    ServerSSLOptions options = new ServerSSLOptions().setKeyCertOptions(next.keyCert());
    return Future.all(servers.stream().map(server -> server.updateSSLOptions(options)).toList())
      .onSuccess(v -> current = next)
      .mapEmpty();
  }
}
