package io.silentmode.agent;

import io.silentmode.protocol.Labels;
import io.silentmode.protocol.PullException;
import io.silentmode.tls.ServerTrust;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;

/**
 * The agent: loads its identity ({@link AgentIdentity}), keeps a connection to the server ({@link AgentConnection}:
 * it proves the identity, answers heartbeats and reconnects) and serves the pulls asked for on it ({@link PullServer}).
 * Its file is hashed once per version, before the DOWNLOAD_ACK or, once the file has stayed the same for
 * PREHASH_DELAY, ahead of any pull ({@link DigestKeeper}). The protected methods are hooks for tests.
 */
public class AgentVerticle extends VerticleBase {

  public static final String VERSION = "0.1.0";
  private static final System.Logger log = System.getLogger(AgentVerticle.class.getName());
  /**
   * Chunk messages go out in WebSocket frames of this size. Whole-chunk frames of 1 MiB made Netty on both ends
   * allocate, zero and grow buffers beyond its pools for every chunk; 64 KiB frames stay inside them.
   */
  static final int WIRE_FRAME_SIZE = 64 * 1024;
  /** The largest message the agent takes from a server (docs/PROTOCOL.md §2). */
  static final int MAX_SERVER_MESSAGE = 64 * 1024;

  private final AgentConfig config;
  /** How a {@code wss://} server is verified; a {@code ws://} URL has nothing to verify. */
  private final ServerTrust trust;
  private final JsonObject labels;
  private final Promise<Void> gaveUp = Promise.promise();
  /** The served file's digests, kept per version and computed ahead of pulls. */
  private DigestKeeper digests;
  /** The served file's version at the last look, to hash it ahead once it stays the same between two looks. */
  private FileVersion lastSeen;
  private AgentConnection connection;
  /** The pulls asked for on the connection. */
  private PullServer pulls;

  /** An agent that checks a {@code wss://} server against the JVM's trust store. */
  public AgentVerticle(AgentConfig config) {
    this(config, Map.of(), ServerTrust.system());
  }

  /** An agent that reports {@code labels} when it registers. */
  public AgentVerticle(AgentConfig config, Map<String, String> labels) {
    this(config, labels, ServerTrust.system());
  }

  /** An agent that checks a {@code wss://} server as {@code trust} says. */
  public AgentVerticle(AgentConfig config, ServerTrust trust) {
    this(config, Map.of(), trust);
  }

  public AgentVerticle(AgentConfig config, Map<String, String> labels, ServerTrust trust) {
    this.config = config;
    this.trust = trust;
    this.labels = Labels.toJson(labels);
    String wrong = Labels.problem(this.labels);
    if (wrong != null) {
      throw new IllegalArgumentException(wrong); // the server would refuse every REGISTER
    }
  }

  /** Fails once MAX_RECONNECT_ATTEMPTS were used up; never completes otherwise. */
  public Future<Void> gaveUp() {
    return gaveUp.future();
  }

  /** Loads the identity from the state file (or makes the key to enroll), then dials. */
  @Override
  public Future<?> start() {
    digests = new DigestKeeper(vertx, this::onHashed);
    return vertx.executeBlocking(() -> AgentIdentity.load(config.clientId(),
        config.stateFile() == null ? null : Path.of(config.stateFile()), config.enrollmentToken()))
      .onSuccess(identity -> {
        pulls = new PullServer(this, vertx, Path.of(config.filePath()), digests);
        connection = new AgentConnection(vertx, config, trust, labels, identity, clientOptions(), pulls);
        pulls.over(connection);
        connection.gaveUp().onFailure(gaveUp::tryFail);
        connection.start();
        if (config.prehashDelay() > 0) {
          vertx.setPeriodic(config.prehashDelay(), t -> lookAtServedFile());
        }
      });
  }

  @Override
  public Future<?> stop() {
    if (pulls != null) {
      pulls.closed();
    }
    digests.giveUp();
    return connection == null ? Future.succeededFuture() : connection.stop();
  }

  /**
   * Hashes the served file ahead of a pull once it has stayed the same version between two looks, PREHASH_DELAY
   * apart, and the server has said its chunk size. Only while no pull is being served: a pull of another version
   * needs the cores, and one of this version has hashed it already.
   */
  private void lookAtServedFile() {
    if (connection.stopping() || pulls.chunkSize() == 0 || pulls.busy()) {
      return;
    }
    int size = pulls.chunkSize();
    vertx.executeBlocking(() -> {
        try {
          return ServedFile.open(Path.of(config.filePath()), null, size);
        } catch (PullException e) {
          return null; // not there, or not readable: a pull will say so
        }
      })
      .onSuccess(file -> {
        FileVersion seen = lastSeen;
        lastSeen = file == null ? null : file.version();
        if (file == null) {
          return;
        }
        if (connection.stopping() || !file.version().equals(seen) || pulls.busy()) {
          file.release(); // still changing, or a pull came meanwhile
        }
        digests.ahead(file).onFailure(e -> log.log(System.Logger.Level.DEBUG, "No hash ahead: " + e.getMessage()));
      });
  }

  private void onHashed(ServedFile file, boolean ahead) {
    if (ahead) {
      log.log(System.Logger.Level.INFO, "Hashed " + file.path + " (" + file.size + " bytes) ahead of a pull");
    }
    hashed(ahead);
  }

  /** Called on a worker thread as a requested file is about to be opened and hashed; tests make it slow here. */
  protected void opening(String requestId) {
  }

  /** Called on the event loop each time the served file was hashed, {@code ahead} of a pull or for one (tests). */
  protected void hashed(boolean ahead) {
  }

  /** The connection's options; tests override them to give the agent a small socket send buffer, as a slow link does. */
  protected WebSocketClientOptions clientOptions() {
    return trust.configure(new WebSocketClientOptions())
      .setMaxFrameSize(WIRE_FRAME_SIZE)
      // The server sends control messages alone, each well under this: a larger one closes the connection.
      .setMaxMessageSize(MAX_SERVER_MESSAGE);
  }

  /**
   * A chunk frame about to be sent, or null to send nothing; runs on a worker thread.
   * Tests override it to simulate a faulty link or a file that changes under the agent.
   */
  protected ByteBuffer prepare(int index, ByteBuffer frame) {
    return frame;
  }

}
