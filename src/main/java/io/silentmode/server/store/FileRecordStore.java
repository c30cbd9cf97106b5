package io.silentmode.server.store;

import io.silentmode.server.storage.DurableMove;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The embedded store under DATA_DIR: a kind kept one record at a time is a directory with one JSON file per record
 * ({@code jobs/<requestId>.json}); a whole-list kind is one file ({@code clients.json}). Every write goes to a temp
 * file that is fsynced and renamed over the old one, then the directory is fsynced too, so a crash leaves either
 * the old record or the new, never half of one. The file I/O blocks: it runs on a worker thread, one call after
 * the other in the order asked ({@code executeBlocking} is ordered), as the worker verticle it replaces did.
 */
public final class FileRecordStore implements RecordStore {

  private static final System.Logger log = System.getLogger(FileRecordStore.class.getName());
  /** Ids become file names: nothing that could leave the directory or hide as a temp file. */
  private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}");

  private final Vertx vertx;
  private final Path dataDir;

  private FileRecordStore(Vertx vertx, Path dataDir) {
    this.vertx = vertx;
    this.dataDir = dataDir;
  }

  /** Creates the directory of each kind kept one record at a time, so that an unusable DATA_DIR shows at start. */
  public static Future<RecordStore> open(Vertx vertx, Path dataDir) {
    return vertx.executeBlocking(() -> {
      Files.createDirectories(dataDir);
      for (RecordKind kind : RecordKind.ALL) {
        if (!kind.wholeList()) {
          Files.createDirectories(dataDir.resolve(kind.name()));
        }
      }
      return new FileRecordStore(vertx, dataDir);
    });
  }

  @Override
  public Future<Void> put(RecordKind kind, JsonObject record) {
    return blocking(() -> {
      writeAtomically(dataDir.resolve(kind.name()).resolve(fileName(record.getString(kind.idField()))), record.encode());
      return null;
    });
  }

  @Override
  public Future<Void> delete(RecordKind kind, List<String> ids) {
    return blocking(() -> {
      for (String id : ids) {
        Files.deleteIfExists(dataDir.resolve(kind.name()).resolve(fileName(id)));
      }
      return null;
    });
  }

  @Override
  public Future<JsonArray> all(RecordKind kind) {
    return blocking(() -> kind.wholeList() ? readList(dataDir.resolve(kind.name() + ".json")) : readEach(dataDir.resolve(kind.name())));
  }

  @Override
  public Future<Void> replaceAll(RecordKind kind, JsonArray records) {
    return blocking(() -> {
      writeAtomically(dataDir.resolve(kind.name() + ".json"), records.encode());
      return null;
    });
  }

  @Override
  public Future<Void> ping() {
    return Future.succeededFuture(); // readiness checks DATA_DIR itself
  }

  @Override
  public Future<Void> close() {
    return Future.succeededFuture();
  }

  @Override
  public String where() {
    return "under DATA_DIR";
  }

  private <T> Future<T> blocking(Callable<T> work) {
    return vertx.executeBlocking(work);
  }

  private static String fileName(String id) {
    if (id == null || !SAFE_ID.matcher(id).matches()) {
      throw new IllegalArgumentException("a record id must be 1 to 200 letters, digits, '.', '_' or '-'");
    }
    return id + ".json";
  }

  private static JsonArray readEach(Path dir) throws IOException {
    JsonArray all = new JsonArray();
    if (!Files.isDirectory(dir)) {
      return all;
    }
    try (Stream<Path> files = Files.list(dir)) {
      files.filter(f -> f.getFileName().toString().endsWith(".json") && !f.getFileName().toString().startsWith(".")).forEach(f -> {
        JsonObject record = read(f);
        if (record != null) {
          all.add(record);
        }
      });
    }
    return all;
  }

  private static JsonArray readList(Path file) throws IOException {
    if (!Files.exists(file)) {
      return new JsonArray();
    }
    try {
      return new JsonArray(Files.readString(file));
    } catch (DecodeException e) {
      log.log(System.Logger.Level.WARNING, "Ignoring unreadable " + file + ": " + e.getMessage());
      return new JsonArray();
    }
  }

  /** A damaged record is skipped with a warning rather than keeping the server from starting. */
  private static JsonObject read(Path file) {
    try {
      return new JsonObject(Files.readString(file));
    } catch (IOException | DecodeException e) {
      log.log(System.Logger.Level.WARNING, "Ignoring unreadable record " + file + ": " + e.getMessage());
      return null;
    }
  }

  /** Readable by the server's user alone, as the keys beside it: token records hold hashes, jobs their callbacks. */
  private static void writeAtomically(Path target, String content) throws IOException {
    Path temp = target.resolveSibling("." + target.getFileName() + ".tmp");
    Files.deleteIfExists(temp); // left by a crash: created again below, with the mode
    try (FileChannel channel = FileChannel.open(temp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
      ByteBuffer bytes = ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8));
      while (bytes.hasRemaining()) {
        channel.write(bytes);
      }
      channel.force(true);
    }
    DurableMove.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
  }
}
