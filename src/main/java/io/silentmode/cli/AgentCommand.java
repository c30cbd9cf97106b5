package io.silentmode.cli;

import io.silentmode.agent.AgentConfig;
import io.silentmode.agent.AgentVerticle;
import io.silentmode.tls.ServerTrust;
import io.silentmode.protocol.Labels;
import io.vertx.core.Vertx;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "agent", mixinStandardHelpOptions = true,
  description = "Run an agent: dial the server, stay connected and serve the configured file when asked.",
  footer = {"", "Examples:", "  silentmode agent --id restaurant-001 --server ws://silentmode.example.com:8080 --label region=eu",
    "  silentmode agent --id restaurant-001 --server wss://silentmode.example.com:8080 --enrollment-token \"$(cat token)\"   (the first start)",
    "  silentmode agent --server wss://10.0.0.5:8080 --server-fingerprint 3A:F1:...   (a self-signed server)"})
public class AgentCommand implements Callable<Integer> {

  @Option(names = {"--id", "--client-id"}, defaultValue = "${env:CLIENT_ID}", description = "This agent's id (CLIENT_ID, default: the host name).")
  String clientId;

  @Option(names = "--server", defaultValue = "${env:SERVER_WS_URL:-ws://127.0.0.1:8080}", description = "Server WebSocket URL, ws:// or wss://; several, comma-separated, for the nodes of a cluster, tried in turn (SERVER_WS_URL, default ${DEFAULT-VALUE}).")
  String serverUrl;

  @Option(names = "--file", defaultValue = "${env:FILE_PATH}", description = "The file this agent serves (FILE_PATH, default $HOME/file_to_download.txt).")
  String filePath;

  @Option(names = "--reconnect-interval", defaultValue = "${env:RECONNECT_INTERVAL:-5000}", description = "First reconnect delay in ms, doubling with jitter up to 60 s (RECONNECT_INTERVAL, default ${DEFAULT-VALUE}).")
  long reconnectInterval;

  @Option(names = "--max-reconnect-attempts", defaultValue = "${env:MAX_RECONNECT_ATTEMPTS:-0}", description = "Give up after this many failed reconnects; 0 means never (MAX_RECONNECT_ATTEMPTS, default ${DEFAULT-VALUE}).")
  int maxReconnectAttempts;

  @Option(names = "--prehash-delay", defaultValue = "${env:PREHASH_DELAY:-5000}", description = "Hash the served file ahead of a pull once it has stayed unchanged this long, in ms; 0 turns it off (PREHASH_DELAY, default ${DEFAULT-VALUE}).")
  long prehashDelay;

  @Option(names = "--label", paramLabel = "KEY=VALUE", description = "A label this agent reports, e.g. region=eu; repeatable. Added to AGENT_LABELS (region=eu,store=berlin-12), replacing the same key. At most " + Labels.MAX_COUNT + "; keys and values " + Labels.RULE + ".")
  List<String> labelFlags = new ArrayList<>();

  @Option(names = "--enrollment-token", defaultValue = "${env:ENROLLMENT_TOKEN}", description = "The server's enrollment token (`silentmode server enrollment-token`), needed once: the first start enrolls this agent's key (ENROLLMENT_TOKEN).")
  String enrollmentToken;

  @Option(names = "--state-file", defaultValue = "${env:AGENT_STATE_FILE}", description = "Where this agent keeps its key, mode 600 (AGENT_STATE_FILE, default $HOME/.silentmode/<id>.state.json).")
  String stateFile;

  @Option(names = "--allow-root", defaultValue = "${env:AGENT_ALLOW_ROOT:-false}", description = "Run even as root; the agent needs no more than read access to its file (AGENT_ALLOW_ROOT, default ${DEFAULT-VALUE}).")
  boolean allowRoot;

  @Mixin
  ServerTrustOptions trustOptions;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws UnknownHostException {
    Map<String, String> labels;
    try {
      labels = labels(System.getenv("AGENT_LABELS"), labelFlags);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    String id = clientId != null ? clientId : InetAddress.getLocalHost().getHostName();
    String filePath = this.filePath != null ? this.filePath : defaultFile(System.getenv("HOME"), System.getProperty("user.home"));
    ServerTrust trust = null;
    try {
      List<String> urls = Arrays.stream(serverUrl.split(",")).map(String::trim).filter(u -> !u.isEmpty()).toList();
      if (urls.isEmpty() || urls.stream().anyMatch(u -> !u.matches("(?i)wss?://.+"))) {
        throw new IllegalArgumentException("--server must be ws:// or wss:// URLs, comma-separated: " + serverUrl);
      }
      for (String url : urls) { // one trust for all: a cluster's nodes show the same certificate, or one CA's
        trust = trustOptions.trust(url, "wss");
      }
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    if (!allowRoot && runsAsRoot()) {
      spec.commandLine().getErr().println("silentmode agent: refusing to run as root: an agent only needs to read its"
        + " file, and a root process can read every file on this machine. Run it as an unprivileged user that can read"
        + " the file, or pass --allow-root (AGENT_ALLOW_ROOT=true) if you must.");
      return CommandLine.ExitCode.USAGE;
    }
    Vertx vertx = Vertx.vertx();
    String state = stateFile != null ? stateFile : defaultStateFile(System.getenv("HOME"), System.getProperty("user.home"), id);
    AgentVerticle agent = new AgentVerticle(new AgentConfig(id, serverUrl, filePath, reconnectInterval,
      maxReconnectAttempts, prehashDelay, state, enrollmentToken), labels, trust);
    try {
      vertx.deployVerticle(agent).await();
    } catch (Exception e) { // an unusable state file: await() rethrows its IOException as it is
      System.err.println("silentmode agent " + id + ": " + e.getMessage());
      vertx.close().await();
      return 1;
    }
    // SIGTERM (systemctl stop, docker stop, a pod's end): close the connection with a close frame, so that the
    // server sees an agent that left rather than a connection that broke.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> vertx.close().await()));
    System.err.println("silentmode agent " + id + ": serving " + filePath + " to " + serverUrl
      + (serverUrl.startsWith("wss:") ? ", verified against " + trust : "")
      + (labels.isEmpty() ? "" : " with labels " + Labels.toJson(labels).encode()));
    try {
      agent.gaveUp().await();
      return 0;
    } catch (RuntimeException e) {
      System.err.println("silentmode agent " + id + ": " + e.getMessage());
      vertx.close().await();
      return 1;
    }
  }

  /** AGENT_LABELS, then each {@code --label} flag over it; an error names where the wrong label came from. */
  static Map<String, String> labels(String env, List<String> flags) {
    Map<String, String> labels = new LinkedHashMap<>();
    String source = "AGENT_LABELS";
    try {
      Labels.parse(env, labels);
      source = "--label";
      flags.forEach(flag -> Labels.parse(flag, labels));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": " + e.getMessage());
    }
    return labels;
  }

  /** {@code $HOME/.silentmode/<id>.state.json}: one per agent id, so two agents of one user keep apart. */
  static String defaultStateFile(String home, String userHome, String id) {
    return Path.of(home == null || home.isEmpty() ? userHome : home, ".silentmode", id + ".state.json").toString();
  }

  /** Whether this process runs as uid 0, where the OS says; elsewhere (no Unix) never. */
  static boolean runsAsRoot() {
    try {
      return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return "root".equals(System.getProperty("user.name"));
    }
  }

  /** {@code $HOME/file_to_download.txt}, as the design says; Java's user.home (from the password file) only without HOME. */
  static String defaultFile(String home, String userHome) {
    return Path.of(home == null || home.isEmpty() ? userHome : home, "file_to_download.txt").toString();
  }
}
