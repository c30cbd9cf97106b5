package io.silentmode.cli;

import io.silentmode.agent.Swarm;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.concurrent.Callable;

/**
 * The fleet benchmark's load generator (bench/fleet.sh): many agents from one JVM, on loopback only. Hidden from the
 * help: it is a test tool, not a role. It prints a status line whenever the counts change (at most once a second)
 * and stops by itself after {@code --duration}.
 */
@Command(name = "swarm", hidden = true, mixinStandardHelpOptions = true,
  description = "Benchmark tool: connect many agents to a server on loopback from one JVM.")
public class SwarmCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--count", required = true, description = "Agents to connect.")
  int count;

  @Option(names = "--server", defaultValue = "ws://127.0.0.1:8080", description = "Server WebSocket URL, on loopback (default ${DEFAULT-VALUE}).")
  String serverUrl;

  @Option(names = "--id-prefix", defaultValue = "s-", description = "Agent ids are this prefix and 0, 1, ... (default ${DEFAULT-VALUE}).")
  String idPrefix;

  @Option(names = "--serving", defaultValue = "0", description = "How many of the agents (the first ids) are real agents serving --file (default ${DEFAULT-VALUE}).")
  int serving;

  @Option(names = "--file", description = "The file the serving agents serve.")
  String filePath;

  @Option(names = "--reconnect-interval", defaultValue = "1000", description = "First reconnect delay in ms, doubling with jitter as the agent's (default ${DEFAULT-VALUE}).")
  long reconnectInterval;

  @Option(names = "--prehash-delay", defaultValue = "1000", description = "The serving agents' PREHASH_DELAY in ms (default ${DEFAULT-VALUE}).")
  long prehashDelay;

  @Option(names = "--per-address", defaultValue = "10000", description = "Agents per source address 127.0.0.1, 127.0.0.2, ... (default ${DEFAULT-VALUE}).")
  int perAddress;

  @Option(names = "--enrollment-token", defaultValue = "${env:ENROLLMENT_TOKEN}", description = "The server's enrollment token: each agent enrolls a key of its own, kept in memory; without it they register unenrolled, for a server with ALLOW_UNENROLLED (ENROLLMENT_TOKEN).")
  String enrollmentToken;

  @Option(names = "--duration", defaultValue = "900", description = "Seconds after which the swarm disconnects and exits (default ${DEFAULT-VALUE}).")
  long durationSeconds;

  @Override
  public Integer call() throws UnknownHostException {
    validate();
    Vertx vertx = Vertx.vertx();
    Swarm swarm = new Swarm(vertx, new Swarm.Settings(count, serverUrl, idPrefix, serving, filePath, reconnectInterval,
      prehashDelay, perAddress, enrollmentToken));
    long dialed = System.nanoTime();
    swarm.start().await();
    Promise<Void> over = Promise.promise();
    Status status = new Status(swarm, dialed);
    vertx.setPeriodic(100, t -> status.print(false));
    vertx.setTimer(durationSeconds * 1000, t -> over.complete());
    over.future().await();
    status.print(true);
    System.out.println("swarm: " + durationSeconds + " s are over, disconnecting");
    swarm.close().await();
    vertx.close().await();
    return 0;
  }

  /** A load tool must not be aimed at anything but this machine. */
  private void validate() throws UnknownHostException {
    String host = URI.create(serverUrl).getHost();
    if (host == null || !InetAddress.getByName(host).isLoopbackAddress()) {
      throw new ParameterException(spec.commandLine(), "--server must be a loopback address, not " + serverUrl);
    }
    if (count < 1 || perAddress < 1 || (count - 1) / perAddress >= 254) {
      throw new ParameterException(spec.commandLine(), "--count and --per-address must leave at most 254 source addresses");
    }
    if (serving < 0 || serving > count || (serving > 0 && filePath == null)) {
      throw new ParameterException(spec.commandLine(), "--serving must be 0..--count, and needs --file");
    }
  }

  /** Prints the counts when they changed, at most once a second, and once how long all simulated agents took to register. */
  private static final class Status {
    private final Swarm swarm;
    private final long dialed;
    private String last = "";
    private long lastPrinted;
    private boolean allRegistered;

    Status(Swarm swarm, long dialed) {
      this.swarm = swarm;
      this.dialed = dialed;
    }

    void print(boolean now) {
      Swarm.Counters c = swarm.counters();
      long nanos = System.nanoTime();
      double seconds = (nanos - dialed) / 1e9;
      if (!allRegistered && c.registered() == swarm.simulated()) {
        allRegistered = true;
        System.out.printf("swarm: all %d simulated agents registered %.1f s after dialing%n", swarm.simulated(), seconds);
      }
      String line = String.format("registered %d/%d, pongs %d, reconnects %d, hashed ahead %d",
        c.registered(), swarm.simulated(), c.pongs(), c.reconnects(), c.hashedAhead());
      if (!line.equals(last) && (now || nanos - lastPrinted >= 1_000_000_000L)) {
        last = line;
        lastPrinted = nanos;
        System.out.printf("swarm: %.0f s: %s%n", seconds, line);
      }
    }
  }
}
