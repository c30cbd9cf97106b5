package io.silentmode.agent;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.HashSet;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Hashes the served file, the whole file and every chunk, once per version and keeps the result: for a pull, which
 * waits for it before its DOWNLOAD_ACK, or ahead of one, so that a pull of a file that has been there a while sends
 * at once. A pull of the version being hashed ahead joins that hash. Used on the agent's event loop only; the
 * hashing runs on two worker threads, one per digest kind.
 */
final class DigestKeeper {

  private final Vertx vertx;
  /** Told on the event loop each time digests are kept: the file and whether it was hashed ahead. */
  private final BiConsumer<ServedFile, Boolean> hashed;
  /** The digests of the last version hashed, if it was still the current one when the hash ended. */
  private FileDigests kept;
  /** The hash started last, which a pull of its version joins. */
  private Hashing running;
  /** Every file being hashed, to stop them all when the agent stops. */
  private final Set<ServedFile> underWay = new HashSet<>();
  private boolean closed;

  /** A hash under way: the file it reads, and whether it is ahead of any pull (given up for a pull of another). */
  private record Hashing(ServedFile file, boolean ahead, Future<FileDigests> result) {

    boolean of(ServedFile other) {
      return file.version().equals(other.version()) && file.chunkSize == other.chunkSize;
    }
  }

  DigestKeeper(Vertx vertx, BiConsumer<ServedFile, Boolean> hashed) {
    this.vertx = vertx;
    this.hashed = hashed;
  }

  /** The digests a pull of {@code file} announces: kept, being hashed ahead, or hashed now. */
  Future<FileDigests> forPull(ServedFile file) {
    if (closed) {
      return Future.failedFuture("the agent is stopping");
    }
    if (kept != null && kept.holdFor(file.version(), file.chunkSize)) {
      return Future.succeededFuture(kept);
    }
    if (running != null && running.of(file)) {
      running = new Hashing(running.file, false, running.result); // a pull waits for it now: it runs to the end
      return running.result;
    }
    if (running != null && running.ahead) {
      running.file.release(); // a stale version: the pull needs the cores
    }
    return hash(file, false);
  }

  /**
   * Hashes {@code file}, just opened, unless its digests are kept or being computed, or a pull's hash is under way;
   * a hash ahead of a version that is no longer the file's is stopped. Closes the file when done. The future fails
   * when there was nothing to do or a pull of another version stopped the hash.
   */
  Future<FileDigests> ahead(ServedFile file) {
    boolean known = kept != null && kept.holdFor(file.version(), file.chunkSize);
    boolean busy = running != null && (!running.ahead || running.of(file));
    if (closed || known || busy) {
      file.release();
    } else if (running != null) {
      running.file.release();
    }
    Future<FileDigests> result = file.released() ? Future.failedFuture("nothing to hash") : hash(file, true);
    return result.eventually(() -> vertx.executeBlocking(() -> {
      file.close();
      return null;
    }));
  }

  /** Stops every hash under way, and refuses new ones: the agent is stopping. */
  void giveUp() {
    closed = true;
    underWay.forEach(ServedFile::release);
  }

  /** Forgets the kept digests: the server found the file differs from them. */
  void forget() {
    kept = null;
  }

  /**
   * The whole-file hash and the chunk hashes, on two threads at once. They are kept only if the file did not change
   * while it was hashed: then they might match neither version.
   */
  private Future<FileDigests> hash(ServedFile file, boolean ahead) {
    underWay.add(file);
    Future<String> whole = vertx.executeBlocking(file::sha256, false);
    Future<byte[]> chunks = file.keepsChunkDigests()
      ? vertx.executeBlocking(file::chunkSha256s, false) : Future.succeededFuture();
    Future<FileDigests> result = Future.all(whole, chunks)
      .compose(v -> vertx.executeBlocking(file::currentVersion))
      .map(now -> {
        FileDigests computed = new FileDigests(file.version(), file.chunkSize, whole.result(), chunks.result());
        kept = file.version().equals(now) ? computed : null;
        if (kept != null) {
          hashed.accept(file, ahead);
        }
        return computed;
      });
    running = new Hashing(file, ahead, result);
    return result.eventually(() -> {
      underWay.remove(file);
      if (running != null && running.file == file) {
        running = null;
      }
      return Future.succeededFuture();
    });
  }
}
