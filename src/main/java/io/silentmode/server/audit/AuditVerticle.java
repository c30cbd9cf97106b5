package io.silentmode.server.audit;

import io.silentmode.server.Addresses;
import io.silentmode.server.ServerConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The audit log, {@code DATA_DIR/audit.jsonl}: one JSON object a line for each record {@link Addresses#AUDIT_RECORD}
 * gets, appended and forced to disk before the next (operators' changes are rare; each one is worth keeping). The
 * file is opened for appending only: nothing here rewrites or shortens it. A worker: file I/O blocks.
 */
public class AuditVerticle extends VerticleBase {

  private static final System.Logger log = System.getLogger(AuditVerticle.class.getName());

  private final Path file;
  private FileChannel out;

  public AuditVerticle(ServerConfig config) {
    this.file = Path.of(config.dataDir()).resolve("audit.jsonl");
  }

  /** Where the audit log of a server with {@code config} is. */
  public static Path path(ServerConfig config) {
    return Path.of(config.dataDir()).resolve("audit.jsonl");
  }

  @Override
  public Future<?> start() throws IOException {
    Files.createDirectories(file.getParent());
    out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    return vertx.eventBus().<JsonObject>localConsumer(Addresses.AUDIT_RECORD, m -> append(m.body())).completion();
  }

  @Override
  public Future<?> stop() throws IOException {
    out.close();
    return Future.succeededFuture();
  }

  private void append(JsonObject record) {
    ByteBuffer line = ByteBuffer.wrap((record.encode() + "\n").getBytes(StandardCharsets.UTF_8));
    try {
      while (line.hasRemaining()) {
        out.write(line);
      }
      out.force(false);
    } catch (IOException e) {
      log.log(System.Logger.Level.ERROR, "Could not write the audit log " + file + ": " + e + "; lost: " + record.encode());
    }
  }
}
