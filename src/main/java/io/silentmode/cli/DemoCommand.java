package io.silentmode.cli;

import io.silentmode.agent.AgentConfig;
import io.silentmode.agent.AgentVerticle;
import io.silentmode.server.Addresses;
import io.silentmode.cli.operator.ProgressLine;
import io.silentmode.server.Server;
import io.silentmode.server.metrics.Metrics;
import io.silentmode.server.ServerConfig;
import io.silentmode.server.enrollment.EnrollmentToken;
import io.silentmode.server.tls.ServerCertificate;
import io.silentmode.tls.ServerTrust;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryType;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * Everything on one machine with zero set-up: a server, an agent serving a generated file, and one pull.
 * Also the benchmark's engine (bench/run.sh): it reports time, throughput and this JVM's peak memory.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
  description = "Start an embedded server and a local agent serving a generated file, pull it, verify it and report.",
  footer = {"", "Examples:", "  silentmode demo", "  silentmode demo --size-mib 1024 --cleanup"})
public class DemoCommand implements Callable<Integer> {

  private static final String CLIENT_ID = "demo-agent";

  @Option(names = "--size-mib", defaultValue = "100", description = "Size of the generated file in MiB (default ${DEFAULT-VALUE}).")
  int sizeMib;

  @Option(names = "--cleanup", description = "Delete the generated file and the pulled copy before exiting.")
  boolean cleanup;

  @Option(names = "--external-agent", paramLabel = "CLIENT_ID",
    description = "Start no agent here: wait on --ws-port for this agent, running in its own process, and pull its file. "
      + "The benchmark uses it so that the memory figures are the server's alone.")
  String externalAgent;

  @Mixin
  ServerOptions server;

  @Override
  public Integer call() throws Exception {
    Path work = Files.createTempDirectory("silentmode-demo-");
    Path source = work.resolve("file_to_download.txt");
    String clientId = externalAgent != null ? externalAgent : CLIENT_ID;
    ServerConfig config = server.toConfig().setWsPort(externalAgent != null ? server.wsPort : 0).setPort(0)
      .setDownloadDir(work.resolve("downloads").toString()).setDataDir(work.resolve("data").toString());
    Vertx vertx = Metrics.vertxBuilder(config.nodeName()).build();
    Server running = null;
    String agent = null;
    try {
      running = Server.start(vertx, config).await();
      // The demo's agent enrolls as any other, with the token the server just made in its DATA_DIR.
      String token = new EnrollmentToken(Path.of(config.dataDir())).current();
      Promise<Void> connected = Promise.promise();
      vertx.eventBus().<JsonObject>consumer(Addresses.REGISTRY_EVENTS, m -> {
        if (clientId.equals(m.body().getString("clientId"))) {
          connected.tryComplete();
        }
      });
      if (externalAgent == null) {
        System.err.printf("Generating %d MiB of random data in %s%n", sizeMib, source);
        generate(source, (long) sizeMib * 1024 * 1024);
        // With --self-signed (or TLS_CERT), over wss:// and pinned to the server's certificate.
        ServerCertificate tls = running.tls().current();
        agent = vertx.deployVerticle(new AgentVerticle(new AgentConfig(CLIENT_ID,
          (tls == null ? "ws" : "wss") + "://127.0.0.1:" + running.wsPort(), source.toString(), 1000, 0, 0).enrolling(work.resolve("agent-state.json").toString(), token),
          tls == null ? ServerTrust.system() : ServerTrust.pinned(tls.fingerprint()))).await(); // no hashing ahead
      } else {
        System.err.println("Waiting for agent " + clientId + " on port " + running.wsPort()
          + "; it enrolls with --enrollment-token " + token);
      }
      connected.future().await();

      Promise<JsonObject> done = Promise.promise();
      ProgressLine progress = new ProgressLine(new PrintWriter(System.err, true));
      MessageConsumer<JsonObject> events = vertx.eventBus().consumer(Addresses.DOWNLOADS_EVENTS, m -> {
        JsonObject event = m.body();
        progress.update(event.getString("event"), event);
        if ("final".equals(event.getString("event"))) {
          done.tryComplete(event);
        }
      });
      long started = System.nanoTime();
      String requestId = vertx.eventBus().<JsonObject>request(Addresses.DOWNLOADS_START, new JsonObject().put("clientId", clientId))
        .await().body().getString("requestId");
      // Progress goes only to the job's own address, known once the job is.
      MessageConsumer<JsonObject> progressEvents = vertx.eventBus().consumer(Addresses.downloadEvents(requestId), m -> {
        if ("progress".equals(m.body().getString("event"))) {
          progress.update("progress", m.body());
        }
      });
      JsonObject result = done.future().await();
      double seconds = (System.nanoTime() - started) / 1e9;
      events.unregister();
      progressEvents.unregister();
      return report(result, clientId, seconds);
    } finally {
      shutDown(vertx, running, agent);
      if (cleanup) {
        delete(work);
      }
    }
  }

  /** The agent first, then the server verticle by verticle: neither sees the other vanish, so neither warns. */
  private static void shutDown(Vertx vertx, Server running, String agent) {
    Future<?> agentGone = agent == null ? Future.succeededFuture() : vertx.undeploy(agent);
    try {
      agentGone.eventually(() -> running == null ? Future.succeededFuture() : running.stop()).await();
    } finally {
      // Not chained to the above: its result would be handed to an event loop that vertx.close() has just ended.
      vertx.close().await();
    }
  }

  private int report(JsonObject result, String clientId, double seconds) {
    if (!"completed".equals(result.getString("status"))) {
      System.out.println("Pull " + result.getString("status") + ": " + result.getJsonObject("error").encode());
      return 1;
    }
    JsonObject file = result.getJsonObject("file");
    long size = file.getLong("size");
    System.out.println("Pulled   " + result.getString("fileName") + " from agent " + clientId);
    System.out.println("Stored   " + file.getString("path") + (cleanup ? " (deleted: --cleanup)" : ""));
    System.out.println("SHA-256  " + file.getString("sha256"));
    System.out.printf("Size     %,d bytes%n", size);
    System.out.printf("Time     %.2f s%n", seconds);
    System.out.printf("Speed    %.1f MB/s%n", size / 1e6 / seconds);
    System.out.printf("Memory   peak heap %.1f MiB, peak RSS %s (this JVM: server" + (externalAgent == null ? " and agent" : "") + ")%n",
      peakHeapBytes() / 1048576.0, peakRss());
    System.out.println("Retries  " + result.getInteger("retries"));
    return 0;
  }

  private static void generate(Path file, long size) throws IOException {
    SplittableRandom random = new SplittableRandom();
    byte[] block = new byte[1024 * 1024];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long left = size; left > 0; left -= block.length) {
        random.nextBytes(block);
        out.write(block, 0, (int) Math.min(block.length, left));
      }
    }
  }

  private static long peakHeapBytes() {
    return ManagementFactory.getMemoryPoolMXBeans().stream()
      .filter(p -> p.getType() == MemoryType.HEAP)
      .mapToLong(p -> p.getPeakUsage().getUsed())
      .sum();
  }

  /** VmHWM from /proc: the resident-set high-water mark, where the OS offers it. */
  private static String peakRss() {
    try {
      List<String> status = Files.readAllLines(Path.of("/proc/self/status"));
      return status.stream().filter(l -> l.startsWith("VmHWM:")).findFirst() // "VmHWM:   170684 kB"
        .map(l -> String.format("%.1f MiB", Long.parseLong(l.replaceAll("\\D", "")) / 1024.0)).orElse("unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static void delete(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
