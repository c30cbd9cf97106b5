package io.silentmode;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Collects the records one logger writes at {@code level} or above, for a test to wait for a line. */
final class LogWatch extends Handler implements AutoCloseable {

  private final Logger logger;
  private final Level oldLevel;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

  LogWatch(Class<?> source, Level level) {
    this(source.getName(), level);
  }

  /** By the logger's name, for a class this package cannot name. */
  LogWatch(String loggerName, Level level) {
    logger = Logger.getLogger(loggerName);
    oldLevel = logger.getLevel();
    logger.setLevel(level);
    setLevel(level);
    logger.addHandler(this);
  }

  /** The next line that {@code matches}, waiting for it up to {@code seconds}; lines before it are dropped. */
  String await(Predicate<String> matches, long seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (true) {
      String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (line == null) {
        throw new AssertionError("no such line from " + logger.getName() + " within " + seconds + " s");
      }
      if (matches.test(line)) {
        return line;
      }
    }
  }

  @Override
  public void publish(LogRecord record) {
    if (isLoggable(record)) {
      lines.add(record.getMessage());
    }
  }

  @Override
  public void flush() {
  }

  @Override
  public void close() {
    logger.removeHandler(this);
    logger.setLevel(oldLevel);
  }
}
