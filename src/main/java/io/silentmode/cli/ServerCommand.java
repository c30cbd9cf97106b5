package io.silentmode.cli;

import io.silentmode.server.Server;
import io.silentmode.server.metrics.Metrics;
import io.silentmode.server.http.ApiVerticle;
import io.vertx.core.Vertx;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "server", mixinStandardHelpOptions = true,
  description = "Run the server: agents dial its WebSocket port; it pulls files from them.",
  footer = {"", "Example:", "  PORT=3000 WS_PORT=8080 DOWNLOAD_DIR=/var/lib/silentmode/downloads DATA_DIR=/var/lib/silentmode/data silentmode server"})
public class ServerCommand implements Callable<Integer> {

  @Mixin
  ServerOptions options;

  @Override
  public Integer call() throws InterruptedException {
    Vertx vertx = Metrics.vertxBuilder().build();
    Server server = Server.start(vertx, options.toConfig()).await();
    System.err.println("silentmode server: agents connect to ws://" + options.host + ":" + server.wsPort()
      + ", the API is at http://" + options.host + ":" + server.apiPort() + ApiVerticle.PREFIX);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.stop().eventually(vertx::close).await();
      stopped.countDown();
    }));
    stopped.await();
    return 0;
  }
}
