package io.silentmode.server.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.silentmode.server.storage.FileStores;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.nio.file.FileStore;
import java.nio.file.Path;
import java.util.List;

/**
 * Gauges of the file system DOWNLOAD_DIR is on: usable and total bytes, and the MIN_FREE_SPACE below which pulls are
 * refused, so that an alert fires before that. The file system is asked on a worker every {@link #INTERVAL_MS}
 * (a network mount can hang a statvfs, which a scrape on the event loop must not wait for) and scrapes read the last
 * answer: NaN while it cannot be measured.
 */
final class DownloadDirSpace {

  static final long INTERVAL_MS = 5_000;
  private static final System.Logger log = System.getLogger(DownloadDirSpace.class.getName());

  private final Vertx vertx;
  private final Path dir;
  private volatile double usable = Double.NaN;
  private volatile double total = Double.NaN;
  /** The next measurement's timer; touched on the verticle's event loop only. */
  private long timer = -1;
  private boolean stopped;

  DownloadDirSpace(Vertx vertx, Path dir) {
    this.vertx = vertx;
    this.dir = dir;
  }

  List<Meter> register(MeterRegistry registry, long minFree) {
    return List.of(
      Gauge.builder("silentmode.download.dir.free", this, s -> s.usable).baseUnit("bytes")
        .description("Usable bytes on DOWNLOAD_DIR's file system").register(registry),
      Gauge.builder("silentmode.download.dir.size", this, s -> s.total).baseUnit("bytes")
        .description("Total bytes of DOWNLOAD_DIR's file system").register(registry),
      Gauge.builder("silentmode.download.dir.min.free", () -> minFree).baseUnit("bytes")
        .description("MIN_FREE_SPACE: below it the server is not ready and refuses new pulls").register(registry));
  }

  /** Measures once, then again {@link #INTERVAL_MS} after each measurement ends, so a hung one never piles up. */
  Future<Void> start() {
    return vertx.executeBlocking(() -> {
      FileStore store = FileStores.of(dir);
      return new double[] {store.getUsableSpace(), store.getTotalSpace()};
    }).transform(ar -> {
      if (ar.failed()) {
        log.log(System.Logger.Level.DEBUG, "Cannot measure " + dir + ": " + ar.cause());
      }
      usable = ar.succeeded() ? ar.result()[0] : Double.NaN;
      total = ar.succeeded() ? ar.result()[1] : Double.NaN;
      if (!stopped) {
        timer = vertx.setTimer(INTERVAL_MS, t -> start());
      }
      return Future.<Void>succeededFuture();
    });
  }

  void stop() {
    stopped = true;
    vertx.cancelTimer(timer);
  }
}
