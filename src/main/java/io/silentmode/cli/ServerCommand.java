package io.silentmode.cli;

import io.silentmode.server.Server;
import io.silentmode.server.ServerConfig;
import io.silentmode.server.StartupFailure;
import io.silentmode.server.cluster.ClusterSettings;
import io.silentmode.server.cluster.Hazelcast;
import io.silentmode.server.metrics.Metrics;
import io.silentmode.server.http.ApiVerticle;
import io.silentmode.server.tls.ServerCertificate;
import io.silentmode.tls.TlsEngine;
import io.vertx.core.Vertx;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "server", mixinStandardHelpOptions = true, subcommands = EnrollmentTokenCommand.class,
  description = "Run the server: agents dial its WebSocket port; it pulls files from them.",
  footer = {"", "Examples:", "  PORT=3000 WS_PORT=8080 DOWNLOAD_DIR=/var/lib/silentmode/downloads DATA_DIR=/var/lib/silentmode/data silentmode server",
    "  TLS_CERT=/etc/silentmode/tls.crt TLS_KEY=/etc/silentmode/tls.key silentmode server",
    "  silentmode server --self-signed --host files.example.com",
    "  silentmode server enrollment-token   (what new agents enroll with)"})
public class ServerCommand implements Callable<Integer> {

  @Mixin
  ServerOptions options;

  @Mixin
  ClusterOptions cluster;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter err = spec.commandLine().getErr();
    Vertx vertx = null;
    Server started;
    try {
      ServerConfig config = options.toConfig().setNodeName(cluster.nodeName());
      ClusterSettings settings = cluster.toSettings();
      vertx = Hazelcast.vertx(Metrics.vertxBuilder(config.nodeName()), settings, config.nodeName()).await();
      started = Server.start(vertx, config).await();
    } catch (IllegalArgumentException e) {
      // A setting that cannot work: one line that says which, not a stack trace.
      if (vertx != null) {
        vertx.close().await();
      }
      err.println("silentmode server: " + e.getMessage());
      err.flush();
      return CommandLine.ExitCode.USAGE;
    } catch (StartupFailure e) {
      if (vertx != null) {
        vertx.close().await();
      }
      err.println("silentmode server: " + e.getMessage());
      err.flush();
      return CommandLine.ExitCode.SOFTWARE;
    }
    Server server = started;
    Vertx running = vertx;
    ServerCertificate certificate = server.tls().current();
    String tls = certificate == null ? "" : "s";
    err.println("silentmode server: agents connect to ws" + tls + "://" + options.host + ":" + server.wsPort()
      + ", the API is at http" + tls + "://" + options.host + ":" + server.apiPort() + ApiVerticle.PREFIX);
    err.println("silentmode server: agents enroll with the token in " + java.nio.file.Path.of(options.dataDir, "enrollment-token")
      + " (silentmode server enrollment-token)" + (options.allowUnenrolled ? "; ALLOW_UNENROLLED: any agent may register without it" : ""));
    if (certificate != null) {
      err.println("silentmode server: TLS certificate SHA-256 fingerprint " + certificate.fingerprint()
        + " (agents: --server-fingerprint), valid until " + certificate.certificate().getNotAfter().toInstant());
      err.println("silentmode server: TLS by " + TlsEngine.describe());
    }
    err.flush();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.stop().eventually(running::close).await();
      stopped.countDown();
    }));
    stopped.await();
    return 0;
  }
}
