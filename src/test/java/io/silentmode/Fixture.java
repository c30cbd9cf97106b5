package io.silentmode;

import io.silentmode.agent.AgentConfig;
import io.silentmode.agent.AgentVerticle;
import io.silentmode.process.ProcessHarness;
import io.silentmode.protocol.AgentProof;
import io.silentmode.protocol.Sha256;
import io.silentmode.server.Addresses;
import io.silentmode.server.Server;
import io.silentmode.server.ServerConfig;
import io.silentmode.server.store.JobStoreVerticle;
import io.silentmode.server.auth.TokensVerticle;
import io.silentmode.server.enrollment.EnrollmentToken;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/** A real server and real agents on loopback, in temp directories; pulls are started over the event bus. */
final class Fixture {

  static final int CHUNK = 64 * 1024;

  final Vertx vertx;
  private WebSocketClient webSockets;
  final Path dir;
  final Path downloads;
  ServerConfig config;
  Server server;
  /** The admin token the server wrote to DATA_DIR/admin.token on its first start, as an operator would find it. */
  String adminToken;
  private final Map<String, Promise<JsonObject>> finals = new ConcurrentHashMap<>();
  private final Map<String, Promise<Void>> connected = new ConcurrentHashMap<>();
  /** The keys raw agents ({@link #prove}) enrolled, by clientId: a test's second connection proves with the same. */
  private final Map<String, KeyPair> keys = new ConcurrentHashMap<>();

  Fixture(Vertx vertx, Path dir) {
    this.vertx = vertx;
    this.dir = dir;
    this.downloads = dir.resolve("downloads");
    this.config = ServerConfig.defaults().setHost("127.0.0.1").setPort(0).setWsPort(0).setDownloadDir(downloads.toString())
      .setDataDir(dir.resolve("data").toString()).setChunkSize(CHUNK).setChunkRetryDelay(20).setChunkTimeout(5_000)
      .setDownloadTimeout(60_000)
      // tests poll and page as fast as they can from one address; CallerLimitsTest sets its own limits
      .setApiRateLimit(0);
    vertx.eventBus().<JsonObject>consumer(Addresses.DOWNLOADS_EVENTS, m -> {
      if ("final".equals(m.body().getString("event"))) {
        finalOf(m.body().getString("requestId")).tryComplete(m.body());
      }
    });
    vertx.eventBus().<JsonObject>consumer(Addresses.REGISTRY_EVENTS, m -> {
      if ("connected".equals(m.body().getString("event"))) {
        connectedOf(m.body().getString("clientId")).tryComplete();
      }
    });
  }

  Fixture with(Consumer<ServerConfig> change) {
    change.accept(config);
    return this;
  }

  /** Starts the server with the secure default: no token yet, so it issues an admin token, which tests use. */
  Fixture start() {
    server = Server.start(vertx, config).await();
    Path file = TokensVerticle.adminTokenFile(config);
    try {
      adminToken = Files.exists(file) ? Files.readString(file).trim() : null;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return this;
  }

  /**
   * Rewrites one stored job record through the job store the settings name (files or PostgreSQL), as an operator
   * or a crash could have left it; only while the server is stopped.
   */
  void editStoredJob(String requestId, UnaryOperator<JsonObject> change) {
    String store = vertx.deployVerticle(new JobStoreVerticle(config)).await();
    try {
      JsonArray all = vertx.eventBus().<JsonArray>request(Addresses.STORE_JOB_LOAD, new JsonObject()).await().body();
      JsonObject job = all.stream().map(JsonObject.class::cast).filter(j -> requestId.equals(j.getString("requestId")))
        .findFirst().orElseThrow(() -> new AssertionError("no stored job " + requestId));
      vertx.eventBus().request(Addresses.STORE_JOB_SAVE, new JsonObject().put("job", change.apply(job))).await();
    } finally {
      vertx.undeploy(store).await();
    }
  }

  /** A client of the API carrying the admin token (null with API_TOKEN set or ALLOW_UNAUTHENTICATED_API: set it). */
  Api api() {
    Api api = new Api(vertx, server.apiPort());
    api.token = adminToken;
    return api;
  }

  /** {@code Authorization: Bearer} with the admin token, for tests that speak HTTP themselves. */
  String authorization() {
    return "Bearer " + adminToken;
  }

  /** The client raw agents dial through ({@link RawAgent}); Vert.x closes it with itself. */
  WebSocketClient webSocketClient() {
    if (webSockets == null) {
      webSockets = vertx.createWebSocketClient();
    }
    return webSockets;
  }

  String wsUrl() {
    return "ws://127.0.0.1:" + server.wsPort();
  }

  /** Deploys the agent, enrolled as an operator would, and waits until the server has registered it. */
  <A extends AgentVerticle> A agent(String clientId, Path file, Function<AgentConfig, A> factory) {
    return agent(clientId, file, wsUrl(), factory);
  }

  /** Deploys an agent that dials {@code serverUrl}, such as a proxy in front of the server, and waits as above. */
  <A extends AgentVerticle> A agent(String clientId, Path file, String serverUrl, Function<AgentConfig, A> factory) {
    return deploy(clientId, factory.apply(agentConfig(clientId, file, serverUrl)));
  }

  /** An agent's settings as the fixture's agents have them: its state file under the test directory, the token. */
  AgentConfig agentConfig(String clientId, Path file, String serverUrl) {
    return new AgentConfig(clientId, serverUrl, file.toString(), 50, 0, 0)
      .enrolling(stateFile(clientId).toString(), enrollmentToken());
  }

  Path stateFile(String clientId) {
    return dir.resolve("agents").resolve(clientId + ".state.json");
  }

  /** What {@code silentmode server enrollment-token} prints: the token in DATA_DIR. */
  String enrollmentToken() {
    try {
      return new EnrollmentToken(Path.of(config.dataDir())).current();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * {@code register} with what a raw agent needs to be taken for its clientId on the connection whose CHALLENGE
   * sent {@code nonce}: the enrollment (token and key; the same key again is taken as often as it comes) and the
   * proof, as docs/PROTOCOL.md §4a says.
   */
  JsonObject prove(JsonObject register, String nonce) {
    KeyPair key = keys.computeIfAbsent(register.getString("clientId"), id -> AgentProof.newKeyPair());
    return register.put("proof", AgentProof.sign(key.getPrivate(), nonce, register.getString("clientId")))
      .put("enrollment", new JsonObject().put("token", enrollmentToken()).put("publicKey", AgentProof.encode(key.getPublic())));
  }

  /** The key a raw agent enrolled under {@code clientId} ({@link #prove}). */
  KeyPair keyOf(String clientId) {
    return keys.get(clientId);
  }

  private <A extends AgentVerticle> A deploy(String clientId, A agent) {
    connected.remove(clientId);
    vertx.deployVerticle(agent).await();
    awaitConnected(clientId);
    return agent;
  }

  AgentVerticle agent(String clientId, Path file) {
    return agent(clientId, file, AgentVerticle::new);
  }

  void awaitConnected(String clientId) {
    connectedOf(clientId).future().timeout(10, TimeUnit.SECONDS).await();
  }

  void expectReconnect(String clientId) {
    connected.remove(clientId);
  }

  JsonObject startPull(String clientId, String path) {
    return vertx.eventBus().<JsonObject>request(Addresses.DOWNLOADS_START,
      new JsonObject().put("clientId", clientId).put("path", path)).await().body();
  }

  Future<JsonObject> startPullAsync(String clientId) {
    return vertx.eventBus().<JsonObject>request(Addresses.DOWNLOADS_START, new JsonObject().put("clientId", clientId))
      .map(m -> m.body());
  }

  JsonObject awaitFinal(JsonObject job) {
    return awaitFinal(job, 30);
  }

  JsonObject awaitFinal(JsonObject job, long seconds) {
    return finalOf(job.getString("requestId")).future().timeout(seconds, TimeUnit.SECONDS).await();
  }

  /** Polls the job over the bus until its status is {@code status}. */
  JsonObject awaitStatus(JsonObject job, String status) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 30_000;
    while (true) {
      JsonObject now = request(Addresses.DOWNLOADS_GET, new JsonObject().put("requestId", job.getString("requestId")));
      if (status.equals(now.getString("status"))) {
        return now;
      }
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("job still " + now.getString("status") + ": " + now.encode());
      }
      Thread.sleep(10);
    }
  }

  /** Starts a pull of the agent's own file and waits for its final event. */
  JsonObject pull(String clientId) {
    return awaitFinal(startPull(clientId, null));
  }

  JsonObject request(String address, JsonObject body) {
    return vertx.eventBus().<JsonObject>request(address, body).await().body();
  }

  private Promise<JsonObject> finalOf(String requestId) {
    return finals.computeIfAbsent(requestId, id -> Promise.promise());
  }

  private Promise<Void> connectedOf(String clientId) {
    return connected.computeIfAbsent(clientId, id -> Promise.promise());
  }

  Path randomFile(String name, long size) throws IOException {
    return ProcessHarness.writeRandom(dir.resolve(name), size, size);
  }

  /** What {@code sha256sum} prints, computed here independently of the code under test. */
  static String sha256(Path file) throws IOException {
    MessageDigest digest = Sha256.digest();
    byte[] block = new byte[1024 * 1024];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n = in.read(block); n > 0; n = in.read(block)) {
        digest.update(block, 0, n);
      }
    }
    return Sha256.hex(digest.digest());
  }

  /** The disk writer removes temp files just after the final event: wait for it, bounded. */
  void awaitEmptyDownloadDir() throws Exception {
    long deadline = System.currentTimeMillis() + 5_000;
    while (!downloadDirContents().isEmpty()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("DOWNLOAD_DIR still holds " + downloadDirContents());
      }
      Thread.sleep(20);
    }
  }

  /** Waits, bounded, until DOWNLOAD_DIR holds no temp file (a hidden one): published files may stay. */
  void awaitEmptyDownloadDirOfTempFiles() throws Exception {
    long deadline = System.currentTimeMillis() + 5_000;
    while (downloadDirContents().stream().anyMatch(f -> f.getFileName().toString().startsWith("."))) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("DOWNLOAD_DIR still holds temp files: " + downloadDirContents());
      }
      Thread.sleep(20);
    }
  }

  /** Everything in DOWNLOAD_DIR, hidden temp files included. */
  List<Path> downloadDirContents() throws IOException {
    if (!Files.exists(downloads)) {
      return List.of();
    }
    try (var files = Files.list(downloads)) {
      return files.toList();
    }
  }
}
