package io.silentmode.agent;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Many agents in one JVM, for fleet benchmarks and tests: {@code count} agents with ids {@code idPrefix0},
 * {@code idPrefix1}, ... The first {@code serving} are real {@link AgentVerticle}s serving {@code filePath}; the others
 * are {@link SimulatedAgent}s that only register and answer heartbeats. All dial at once.
 * <p>
 * Connections to one server port from one source address are limited by the ephemeral ports (about 28,000 on
 * Linux), so agent {@code i} binds to 127.0.0.(1 + i / perAddress): all of 127.0.0.0/8 is loopback.
 */
public final class Swarm {

  /** {@code enrollmentToken}: each agent enrolls a key of its own, kept in memory (null: they register unenrolled). */
  public record Settings(int count, String serverUrl, String idPrefix, int serving, String filePath,
                         long reconnectInterval, long prehashDelay, int perAddress, String enrollmentToken) {
  }

  private final Vertx vertx;
  private final Settings settings;
  private final Counters counters = new Counters();
  private final List<WebSocketClient> clients = new ArrayList<>();

  public Swarm(Vertx vertx, Settings settings) {
    this.vertx = vertx;
    this.settings = settings;
  }

  public Counters counters() {
    return counters;
  }

  /** The number of simulated agents, those {@link Counters#registered()} counts. */
  public int simulated() {
    return settings.count() - settings.serving();
  }

  /** Deploys the serving agents and dials with the simulated ones; completes once all have been asked to dial. */
  public Future<Void> start() {
    WebSocketConnectOptions server = new WebSocketConnectOptions().setAbsoluteURI(settings.serverUrl());
    List<Future<String>> deployed = new ArrayList<>();
    for (int i = 0; i < settings.count(); i++) {
      String clientId = settings.idPrefix() + i;
      if (i < settings.serving()) {
        deployed.add(vertx.deployVerticle(servingAgent(clientId, sourceAddress(i))));
      } else {
        new SimulatedAgent(vertx, client(i), server, clientId, settings.reconnectInterval(), settings.enrollmentToken(),
          counters).connect();
      }
    }
    return Future.all(deployed).mapEmpty();
  }

  /** Stops reconnecting and closes every simulated agent's connection; the serving agents go with their Vertx. */
  public Future<Void> close() {
    counters.stopping = true;
    return Future.all(clients.stream().map(WebSocketClient::close).toList()).mapEmpty();
  }

  private String sourceAddress(int agent) {
    return "127.0.0." + (1 + agent / settings.perAddress());
  }

  /** One client per source address, allowed all the connections of its agents (Vert.x allows 50 by default). */
  private WebSocketClient client(int agent) {
    int index = agent / settings.perAddress();
    while (clients.size() <= index) {
      clients.add(vertx.createWebSocketClient(new WebSocketClientOptions()
        .setLocalAddress(sourceAddress(clients.size() * settings.perAddress()))
        .setMaxConnections(settings.perAddress())));
    }
    return clients.get(index);
  }

  private AgentVerticle servingAgent(String clientId, String sourceAddress) {
    AgentConfig config = new AgentConfig(clientId, settings.serverUrl(), settings.filePath(),
      settings.reconnectInterval(), 0, settings.prehashDelay()).enrolling(null, settings.enrollmentToken());
    return new AgentVerticle(config) {
      @Override
      protected WebSocketClientOptions clientOptions() {
        return super.clientOptions().setLocalAddress(sourceAddress);
      }

      @Override
      protected void hashed(boolean ahead) {
        if (ahead) {
          counters.hashedAhead.incrementAndGet();
        }
      }
    };
  }

  /** What the swarm has seen, read from any thread. */
  public static final class Counters {
    private final AtomicInteger registered = new AtomicInteger();
    private final AtomicInteger hashedAhead = new AtomicInteger();
    private final LongAdder pongs = new LongAdder();
    private final LongAdder reconnects = new LongAdder();
    private volatile boolean stopping;

    /** Simulated agents registered now. */
    public int registered() {
      return registered.get();
    }

    /** Times a serving agent hashed its file ahead of a pull. */
    public int hashedAhead() {
      return hashedAhead.get();
    }

    public long pongs() {
      return pongs.sum();
    }

    /** Reconnect attempts of simulated agents: failed dials and lost connections. */
    public long reconnects() {
      return reconnects.sum();
    }

    void registered(boolean now) {
      registered.addAndGet(now ? 1 : -1);
    }

    void ponged() {
      pongs.increment();
    }

    void reconnecting() {
      reconnects.increment();
    }

    boolean stopping() {
      return stopping;
    }
  }
}
