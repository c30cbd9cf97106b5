package io.silentmode.server.store;

import io.silentmode.protocol.ErrorCode;
import io.silentmode.server.Addresses;
import io.silentmode.server.ServerConfig;
import io.silentmode.server.storage.DurableMove;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The embedded store under DATA_DIR: one JSON file per job in {@code jobs/}, one per batch in {@code batches/}, and {@code clients.json} for the
 * agents the server knows. Every write goes to a temp file that is fsynced and renamed over the old one, then the
 * directory is fsynced too, so a crash leaves either the old record or the new, never half of one, and a record
 * the store has confirmed stays. A worker verticle: its file I/O blocks.
 */
public class JobStoreVerticle extends VerticleBase {

  private static final System.Logger log = System.getLogger(JobStoreVerticle.class.getName());

  private final Path jobs;
  private final Path batches;
  private final Path clients;

  public JobStoreVerticle(ServerConfig config) {
    Path dataDir = Path.of(config.dataDir());
    this.jobs = dataDir.resolve("jobs");
    this.batches = dataDir.resolve("batches");
    this.clients = dataDir.resolve("clients.json");
  }

  @Override
  public Future<?> start() throws IOException {
    Files.createDirectories(jobs);
    Files.createDirectories(batches);
    EventBus bus = vertx.eventBus();
    return Future.all(List.of(
      bus.<JsonObject>consumer(Addresses.STORE_JOB_SAVE, m -> handle(m, () -> save(jobs, m.body().getJsonObject("job"), "requestId"))).completion(),
      bus.<JsonObject>consumer(Addresses.STORE_JOB_DELETE, m -> handle(m, () -> delete(jobs, m.body().getJsonArray("requestIds")))).completion(),
      bus.<JsonObject>consumer(Addresses.STORE_JOB_LOAD, m -> handle(m, () -> load(jobs))).completion(),
      bus.<JsonObject>consumer(Addresses.STORE_BATCH_SAVE, m -> handle(m, () -> save(batches, m.body().getJsonObject("batch"), "batchId"))).completion(),
      bus.<JsonObject>consumer(Addresses.STORE_BATCH_DELETE, m -> handle(m, () -> delete(batches, m.body().getJsonArray("batchIds")))).completion(),
      bus.<JsonObject>consumer(Addresses.STORE_BATCH_LOAD, m -> handle(m, () -> load(batches))).completion(),
      bus.<JsonObject>consumer(Addresses.STORE_CLIENT_SAVE, m -> handle(m, () -> saveClients(m.body().getJsonArray("clients")))).completion(),
      bus.<JsonObject>consumer(Addresses.STORE_CLIENT_LOAD, m -> handle(m, this::loadClients)).completion()));
  }

  private void handle(Message<?> m, Supplier<Object> action) {
    try {
      m.reply(action.get());
    } catch (RuntimeException e) {
      log.log(System.Logger.Level.ERROR, "Job store failed on " + m.address(), e);
      // the message may reach API clients and webhooks: the path and the details stay in the log
      m.fail(ErrorCode.STORAGE_ERROR.busCode(), "the job store under DATA_DIR failed ("
        + (e.getCause() != null ? e.getCause() : e).getClass().getSimpleName() + "); the server log has the details");
    }
  }

  /** One record per file in {@code dir}, named by its {@code idField} (a UUID the server made). */
  private static Object save(Path dir, JsonObject record, String idField) {
    writeAtomically(dir.resolve(record.getString(idField) + ".json"), record.encode());
    return true;
  }

  private static Object delete(Path dir, JsonArray ids) {
    for (Object id : ids) {
      try {
        Files.deleteIfExists(dir.resolve(id + ".json"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return true;
  }

  private static Object load(Path dir) {
    JsonArray all = new JsonArray();
    try (Stream<Path> files = Files.list(dir)) {
      files.filter(f -> f.getFileName().toString().endsWith(".json")).forEach(f -> {
        JsonObject job = read(f);
        if (job != null) {
          all.add(job);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return all;
  }

  /** The agents' records are few and small: one file, rewritten whole. */
  private Object saveClients(JsonArray all) {
    writeAtomically(clients, all.encode());
    return true;
  }

  private Object loadClients() {
    if (!Files.exists(clients)) {
      return new JsonArray();
    }
    try {
      return new JsonArray(Files.readString(clients));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (DecodeException e) {
      log.log(System.Logger.Level.WARNING, "Ignoring unreadable " + clients + ": " + e.getMessage());
      return new JsonArray();
    }
  }

  /** A damaged record is skipped with a warning rather than keeping the server from starting. */
  private static JsonObject read(Path file) {
    try {
      return new JsonObject(Files.readString(file));
    } catch (IOException | DecodeException e) {
      log.log(System.Logger.Level.WARNING, "Ignoring unreadable job record " + file + ": " + e.getMessage());
      return null;
    }
  }

  private static void writeAtomically(Path target, String content) {
    Path temp = target.resolveSibling("." + target.getFileName() + ".tmp");
    try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
      StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer bytes = ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8));
      while (bytes.hasRemaining()) {
        channel.write(bytes);
      }
      channel.force(true);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      DurableMove.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
