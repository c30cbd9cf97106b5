package io.silentmode;

import io.silentmode.agent.AgentConfig;
import io.silentmode.agent.AgentVerticle;
import io.silentmode.server.Addresses;
import io.silentmode.server.Server;
import io.silentmode.server.ServerConfig;
import io.silentmode.server.cluster.ClusterSettings;
import io.silentmode.server.enrollment.EnrollmentToken;
import io.silentmode.server.cluster.Hazelcast;
import io.silentmode.server.metrics.Metrics;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Real clustered servers in one JVM: one Vertx and one Hazelcast member per node, on loopback, joined over a TCP
 * member list of ports picked free, with a cluster name of their own so parallel runs never meet.
 */
final class ClusterHarness implements AutoCloseable {

  record Node(String name, Vertx vertx, Server server, ServerConfig config) {
  }

  /** The bootstrap admin token every node takes (API_TOKEN): each node has its own DATA_DIR, so no shared table. */
  static final String TOKEN = "cluster-test-admin-token";

  private final Path dir;
  private final String clusterName = "test-" + UUID.randomUUID();
  private final List<Integer> ports = new ArrayList<>();
  /** Each node's WS_PORT, the same across its restarts, as agents' SERVER_WS_URL lists them. */
  private final List<Integer> wsPorts = new ArrayList<>();
  final List<Node> nodes = new ArrayList<>();

  ClusterHarness(Path dir, int size) throws IOException {
    this.dir = dir;
    for (int i = 0; i < size; i++) {
      ports.add(freePort());
      wsPorts.add(freePort());
    }
  }

  /** Starts node {@code i} (0-based) with its own DATA_DIR under the harness' directory. */
  Node start(int i, Consumer<ServerConfig> change) {
    ServerConfig config = ServerConfig.defaults().setNodeName("node-" + (i + 1)).setHost("127.0.0.1").setPort(0).setWsPort(wsPorts.get(i))
      .setDownloadDir(dir.resolve("downloads").toString()).setDataDir(dir.resolve("node-" + (i + 1)).toString()).setApiRateLimit(0).setApiToken(TOKEN);
    change.accept(config);
    String name = config.nodeName();
    ClusterSettings settings = new ClusterSettings(true, clusterName, "127.0.0.1", ports.get(i), 0,
      ports.stream().map(p -> "127.0.0.1:" + p).toList());
    Vertx vertx = Hazelcast.vertx(Metrics.vertxBuilder(name), settings, name).await();
    try {
      Node node = new Node(name, vertx, Server.start(vertx, config).await(), config);
      nodes.add(node);
      return node;
    } catch (RuntimeException e) {
      vertx.close().await();
      throw e;
    }
  }

  Node start(int i) {
    return start(i, c -> { });
  }

  /** Stops node {@code i} gracefully and starts it again with the same name, directories and ports. */
  Node restart(int i, Consumer<ServerConfig> change) {
    stop(nodes.stream().filter(n -> n.name().equals("node-" + (i + 1))).findFirst().orElseThrow());
    return start(i, change);
  }

  /** Stops a node's server and leaves the cluster, as a graceful shutdown does. */
  void stop(Node node) {
    nodes.remove(node);
    node.server().stop().eventually(() -> node.vertx().close()).await();
  }

  @Override
  public void close() {
    for (Node node : List.copyOf(nodes)) {
      stop(node);
    }
  }

  /** Deploys on {@code outside} an agent dialling {@code node}, waits until that node's registry has it, returns its deployment. */
  static <A extends AgentVerticle> String agent(Vertx outside, String clientId, Node node, Path file, Function<AgentConfig, A> factory)
    throws IOException {
    return agent(outside, clientId, List.of(node), file, factory);
  }

  /**
   * The same with SERVER_WS_URL listing {@code nodes}: it dials the first, and the next when one goes away. Enrolled
   * with the first node's token; the state file is beside the nodes' directories, so the agent keeps its key on any.
   */
  static <A extends AgentVerticle> String agent(Vertx outside, String clientId, List<Node> nodes, Path file,
                                                 Function<AgentConfig, A> factory) throws IOException {
    Node node = nodes.get(0);
    Promise<Void> connected = Promise.promise();
    node.vertx().eventBus().<JsonObject>localConsumer(Addresses.REGISTRY_EVENTS, m -> {
      if (clientId.equals(m.body().getString("clientId")) && "connected".equals(m.body().getString("event"))) {
        connected.tryComplete();
      }
    });
    Path dataDir = Path.of(node.config().dataDir());
    String urls = String.join(",", nodes.stream().map(n -> "ws://127.0.0.1:" + n.server().wsPort()).toList());
    AgentConfig config = new AgentConfig(clientId, urls, file.toString(), 50, 0, 0)
      .enrolling(dataDir.resolveSibling(clientId + ".state.json").toString(), new EnrollmentToken(dataDir).current());
    String deployment = outside.deployVerticle(factory.apply(config)).await();
    connected.future().timeout(10, TimeUnit.SECONDS).await();
    return deployment;
  }

  /** A client of {@code node}'s API with the admin token, on a Vertx outside the cluster. */
  static Api api(Vertx outside, Node node) {
    Api api = new Api(outside, node.server().apiPort());
    api.token = TOKEN;
    return api;
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
