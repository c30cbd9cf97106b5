package io.silentmode.pg;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real PostgreSQL for tests, from Debian's packages ({@code .ci/deps} installs them): {@code initdb} in a temp
 * directory, {@code pg_ctl start} on a free loopback port with its socket in that directory, password login over
 * TCP (what the server uses) and trust on the socket (what this class uses to create databases). As root it runs
 * everything as the {@code postgres} user, since initdb refuses root. {@link #shared()} is one server for the whole
 * JVM run, stopped and removed when the JVM exits; each test takes a fresh database from it.
 */
public final class PostgresServer implements AutoCloseable {

  public static final String USER = "silentmode";
  private static final boolean ROOT = "root".equals(System.getProperty("user.name"));
  private static PostgresServer shared;

  private final Path bin;
  private final Path dir;
  private final String password = "pw-" + UUID.randomUUID();
  private final AtomicInteger databases = new AtomicInteger();
  private int port;

  private PostgresServer(Path bin, Path dir) {
    this.bin = bin;
    this.dir = dir;
  }

  /** The server all tests of this JVM share. */
  public static synchronized PostgresServer shared() {
    if (shared == null) {
      shared = start();
      PostgresServer server = shared;
      Runtime.getRuntime().addShutdownHook(new Thread(server::close, "postgres-stop"));
    }
    return shared;
  }

  /** A server of its own, for a test that stops it; close it at the end. */
  public static PostgresServer start() {
    try {
      Path dir = Files.createTempDirectory("silentmode-pg-");
      PostgresServer server = new PostgresServer(binaries(), dir);
      server.init();
      server.startOnFreePort();
      return server;
    } catch (IOException e) {
      throw new IllegalStateException("could not set up a test PostgreSQL", e);
    }
  }

  /** A new empty database; its DATABASE_URL. */
  public String newDatabase() {
    String name = "t" + databases.incrementAndGet() + "_" + UUID.randomUUID().toString().substring(0, 8);
    run(List.of(bin.resolve("createdb").toString(), "-h", dir.toString(), "-p", String.valueOf(port), "-U", USER, name));
    return url(name);
  }

  public String url(String database) {
    return "postgresql://" + USER + ":" + password + "@127.0.0.1:" + port + "/" + database;
  }

  public String password() {
    return password;
  }

  public int port() {
    return port;
  }

  /** Runs {@code sql} with psql in the database of {@code url}; what it prints, unaligned, tuples only. */
  public String sql(String url, String sql) {
    String database = url.substring(url.lastIndexOf('/') + 1);
    return run(List.of(bin.resolve("psql").toString(), "-h", dir.toString(), "-p", String.valueOf(port), "-U", USER,
      "-d", database, "-X", "-v", "ON_ERROR_STOP=1", "-tAc", sql)).trim();
  }

  /** Stops the server (fast shutdown: sessions are cut), keeping its data. */
  public void stop() {
    run(List.of(bin.resolve("pg_ctl").toString(), "-D", data().toString(), "-m", "fast", "-w", "stop"));
  }

  /** Starts a stopped server again on the same port. */
  public void restart() {
    pgCtlStart();
  }

  @Override
  public void close() {
    try {
      if (Files.exists(data().resolve("postmaster.pid"))) {
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", data().toString(), "-m", "immediate", "-w", "stop"));
      }
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      } catch (IOException e) {
        System.err.println("could not remove " + dir + ": " + e);
      }
    }
  }

  private Path data() {
    return dir.resolve("data");
  }

  private void init() throws IOException {
    Path pwfile = dir.resolve("pwfile");
    Files.writeString(pwfile, password + "\n", StandardCharsets.UTF_8);
    if (ROOT) {
      UserPrincipal postgres = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
      Files.setOwner(dir, postgres);
      Files.setOwner(pwfile, postgres);
    }
    run(List.of(bin.resolve("initdb").toString(), "-D", data().toString(), "-U", USER, "--pwfile=" + pwfile,
      "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync"));
  }

  /** The port is free when chosen and taken a moment later: another test may take it first, so try a few. */
  private void startOnFreePort() throws IOException {
    for (int attempt = 1; ; attempt++) {
      port = freePort();
      try {
        pgCtlStart();
        return;
      } catch (IllegalStateException e) {
        if (attempt == 3) {
          throw e;
        }
      }
    }
  }

  private void pgCtlStart() {
    // fsync off: a test server need not survive a power cut, and the shared 2-core machine thanks us
    run(List.of(bin.resolve("pg_ctl").toString(), "-D", data().toString(), "-l", dir.resolve("log").toString(), "-w",
      "-t", "60", "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off", "start"));
  }

  private String run(List<String> command) {
    List<String> full = new ArrayList<>();
    if (ROOT) {
      full.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    full.addAll(command);
    try {
      Process process = new ProcessBuilder(full).directory(dir.toFile()).redirectErrorStream(true).start();
      process.getOutputStream().close();
      byte[] out = process.getInputStream().readAllBytes();
      if (!process.waitFor(90, TimeUnit.SECONDS) || process.exitValue() != 0) {
        process.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " failed:\n" + new String(out, StandardCharsets.UTF_8)
          + logTail());
      }
      return new String(out, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("could not run " + command.get(0), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private String logTail() {
    try {
      Path log = dir.resolve("log");
      return Files.exists(log) ? "\nserver log:\n" + Files.readString(log) : "";
    } catch (IOException e) {
      return "";
    }
  }

  /** initdb and pg_ctl of the newest PostgreSQL installed the Debian way. */
  private static Path binaries() throws IOException {
    Path root = Path.of("/usr/lib/postgresql");
    if (Files.isDirectory(root)) {
      try (Stream<Path> versions = Files.list(root)) {
        var newest = versions.map(v -> v.resolve("bin"))
          .filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_ctl")))
          .max(Comparator.comparingInt(b -> version(b.getParent().getFileName().toString())));
        if (newest.isPresent()) {
          return newest.get();
        }
      }
    }
    throw new IllegalStateException("no PostgreSQL under /usr/lib/postgresql/*/bin: install Debian's postgresql package (.ci/deps does)");
  }

  private static int version(String name) {
    try {
      return Integer.parseInt(name.replaceAll("\\D.*", ""));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
