package io.silentmode.process;

import io.silentmode.server.enrollment.EnrollmentToken;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Real server and agent processes for one test (a JUnit extension: {@code @RegisterExtension}): a temp directory
 * with DATA_DIR, DOWNLOAD_DIR and the logs, two loopback ports chosen once so that a restarted server is where its
 * agents dial again. After each test every process still running is killed and the directory deleted; when the test
 * failed, each process's log is printed first.
 */
public final class ProcessHarness implements BeforeEachCallback, AfterEachCallback {

  private static final Duration START_DEADLINE = Duration.ofSeconds(30);

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final List<JvmProcess> processes = new ArrayList<>();
  /** Added to the environment of the processes started from now on. */
  private final Map<String, String> environment = new HashMap<>();
  private Path dir;
  private int apiPort;
  private int wsPort;

  @Override
  public void beforeEach(ExtensionContext context) throws IOException {
    dir = Files.createTempDirectory("silentmode-process-");
    apiPort = freePort();
    wsPort = freePort();
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    for (JvmProcess process : processes) {
      process.close();
    }
    if (context.getExecutionException().isPresent()) {
      for (JvmProcess process : processes) {
        System.err.println("===== " + process + ", " + process.log() + " =====\n" + process.tail(200));
      }
    }
    processes.clear();
    environment.clear();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  /** A port nothing listens on now; the server binds it a moment later (loopback, so only this machine races). */
  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** Sets {@code name} in the environment of the processes this test starts from now on (LOG_FORMAT, say). */
  public ProcessHarness environment(String name, String value) {
    environment.put(name, value);
    return this;
  }

  public Path dir() {
    return dir;
  }

  public Path downloadDir() {
    return dir.resolve("downloads");
  }

  public Path dataDir() {
    return dir.resolve("data");
  }

  public int apiPort() {
    return apiPort;
  }

  /** The admin token the server wrote on its first start (DATA_DIR/admin.token), once it is up. */
  public String adminToken() throws IOException {
    return Files.readString(dataDir().resolve("admin.token")).trim();
  }

  public String wsUrl() {
    return "ws://127.0.0.1:" + wsPort;
  }

  public int wsPort() {
    return wsPort;
  }

  /** Starts a server on this test's ports and directories (the same ones each time) and waits until it is ready. */
  public JvmProcess server(String... flags) throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(List.of("server", "--host", "127.0.0.1", "--port", String.valueOf(apiPort),
      "--ws-port", String.valueOf(wsPort), "--data-dir", dataDir().toString(),
      "--download-dir", downloadDir().toString()));
    args.addAll(List.of(flags));
    JvmProcess server = start("server", args);
    awaitReady(server);
    return server;
  }

  /**
   * Starts an agent serving {@code file}, dialing {@code serverUrl} (the server, or a proxy in front of it), with a
   * short first reconnect delay; whether and when it is connected is the server's to say, so the caller waits for that.
   * It enrolls as an operator's agent does, with the token in DATA_DIR and a state file of its own (a restarted agent
   * proves the key it keeps there), and may run as root: builds often do.
   */
  public JvmProcess agent(String clientId, Path file, String serverUrl, String... flags) throws IOException {
    List<String> args = new ArrayList<>(List.of("agent", "--id", clientId, "--server", serverUrl,
      "--file", file.toString(), "--reconnect-interval", "100", "--prehash-delay", "0",
      "--state-file", dir.resolve(clientId + ".state.json").toString(),
      "--enrollment-token", new EnrollmentToken(dataDir()).current(), "--allow-root"));
    args.addAll(List.of(flags));
    return start("agent", args);
  }

  private JvmProcess start(String role, List<String> args) throws IOException {
    String name = role + "-" + (processes.size() + 1);
    JvmProcess process = JvmProcess.start(name, dir.resolve(name + ".log"), args, environment);
    processes.add(process);
    return process;
  }

  /** Polls GET /api/v1/health/ready until it answers 200; fails at once if the process exits. */
  private void awaitReady(JvmProcess server) throws InterruptedException {
    HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + "/api/v1/health/ready"))
      .timeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + START_DEADLINE.toNanos();
    while (true) {
      if (!server.isAlive()) {
        throw new AssertionError(server + " exited before it was ready:\n" + server.tail(40));
      }
      try {
        if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(server + " not ready after " + START_DEADLINE.toSeconds() + " s:\n" + server.tail(40));
      }
      Thread.sleep(50);
    }
  }

  /** {@link #writeRandom} into this test's directory. */
  public Path randomFile(String name, long size, long seed) throws IOException {
    return writeRandom(dir.resolve(name), size, seed);
  }

  /** Writes {@code size} pseudo-random bytes from {@code seed}, block by block (no sparse holes). */
  public static Path writeRandom(Path file, long size, long seed) throws IOException {
    SplittableRandom random = new SplittableRandom(seed);
    byte[] block = new byte[1024 * 1024];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long left = size; left > 0; left -= block.length) {
        random.nextBytes(block);
        out.write(block, 0, (int) Math.min(block.length, left));
      }
    }
    return file;
  }

  /** What DOWNLOAD_DIR holds, hidden part files included. */
  public List<Path> downloadDirContents() throws IOException {
    if (!Files.isDirectory(downloadDir())) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(downloadDir())) {
      return files.sorted().toList();
    }
  }
}
