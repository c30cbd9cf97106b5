package io.silentmode;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import org.slf4j.LoggerFactory;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.logging.Level;

/** Collects the messages one logger writes at {@code level} or above, for a test to wait for a line. */
final class LogWatch extends AppenderBase<ILoggingEvent> implements AutoCloseable {

  private final Logger logger;
  private final ch.qos.logback.classic.Level oldLevel;
  private final ch.qos.logback.classic.Level level;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

  LogWatch(Class<?> source, Level level) {
    this(source.getName(), level);
  }

  /** By the logger's name, for a class this package cannot name. */
  LogWatch(String loggerName, Level level) {
    logger = (Logger) LoggerFactory.getLogger(loggerName);
    oldLevel = logger.getLevel();
    this.level = logbackLevel(level);
    logger.setLevel(this.level);
    setContext(logger.getLoggerContext());
    start();
    logger.addAppender(this);
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
  protected void append(ILoggingEvent event) {
    if (event.getLevel().isGreaterOrEqual(level)) {
      lines.add(event.getFormattedMessage());
    }
  }

  @Override
  public void close() {
    logger.detachAppender(this);
    logger.setLevel(oldLevel);
    stop();
  }

  private static ch.qos.logback.classic.Level logbackLevel(Level level) {
    int value = level.intValue();
    return value >= Level.SEVERE.intValue() ? ch.qos.logback.classic.Level.ERROR
      : value >= Level.WARNING.intValue() ? ch.qos.logback.classic.Level.WARN
      : value >= Level.INFO.intValue() ? ch.qos.logback.classic.Level.INFO
      : value >= Level.FINE.intValue() ? ch.qos.logback.classic.Level.DEBUG : ch.qos.logback.classic.Level.TRACE;
  }
}
