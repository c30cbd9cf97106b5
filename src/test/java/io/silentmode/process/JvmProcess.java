package io.silentmode.process;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One role of the real binary ({@code io.silentmode.Main server ...} or {@code agent ...}) in a child JVM on this
 * test's class path, its stdout and stderr in a log file. {@link #kill()} is a crash (SIGKILL: no shutdown hook, no
 * flush, no close frame); {@link #stop()} is an operator's {@code kill} (SIGTERM, the shutdown hook runs).
 */
public final class JvmProcess implements AutoCloseable {

  /** Small heaps and C1 only: several of these JVMs share two cores with the test, and start-up is what they spend. */
  private static final List<String> JVM_OPTIONS = List.of("-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
  /** Children still running when the test JVM exits without its clean-up (Ctrl-C, a surefire timeout). */
  private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(Process::destroyForcibly)));
  }

  private final String name;
  private final Path log;
  private final Process process;

  private JvmProcess(String name, Path log, Process process) {
    this.name = name;
    this.log = log;
    this.process = process;
  }

  /** Starts {@code io.silentmode.Main args...}; output goes to {@code log}, appended. */
  public static JvmProcess start(String name, Path log, List<String> args) throws IOException {
    return start(name, log, args, Map.of());
  }

  /** The same with {@code environment} added to this JVM's (LOG_FORMAT, say). */
  public static JvmProcess start(String name, Path log, List<String> args, Map<String, String> environment)
    throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(JVM_OPTIONS);
    command.add("-Dlogback.configurationFile=" + loggingConfig());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("io.silentmode.Main");
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
      .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().putAll(environment);
    Files.writeString(log, "$ " + String.join(" ", args) + "\n", StandardCharsets.UTF_8,
      java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    Process process = builder.start();
    RUNNING.add(process);
    return new JvmProcess(name, log, process);
  }

  /**
   * The binary's own logback.xml (INFO: connections, pauses, resumes, what a failed test needs to be read), not the
   * quiet logback-test.xml that this class path would otherwise give the children.
   */
  private static Path loggingConfig() {
    try {
      return Path.of(JvmProcess.class.getResource("/logback.xml").toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  public String name() {
    return name;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** SIGKILL, and waits until the process is gone, so that its sockets are closed and its files are as it left them. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    awaitExit(10);
  }

  /** SIGTERM; a process that does not stop within 15 s is killed and the test fails. */
  public void stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(15, TimeUnit.SECONDS)) {
      kill();
      throw new AssertionError(name + " did not stop within 15 s of SIGTERM:\n" + tail(40));
    }
    RUNNING.remove(process);
  }

  private void awaitExit(long seconds) throws InterruptedException {
    if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
      throw new AssertionError(name + " (pid " + process.pid() + ") still runs " + seconds + " s after SIGKILL");
    }
    RUNNING.remove(process);
  }

  /** The last {@code lines} lines of the log. */
  public String tail(int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }

  public Path log() {
    return log;
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }

  @Override
  public String toString() {
    return name + " (pid " + process.pid() + (process.isAlive() ? ")" : ", exited " + process.exitValue() + ")");
  }
}
