package io.silentmode.logging;

import org.slf4j.bridge.SLF4JBridgeHandler;

import java.util.Locale;
import java.util.Set;

/**
 * The one logging backend of every role (Logback, configured by logback.xml from LOG_FORMAT and LOG_LEVEL), set up
 * before anything logs. System.Logger reaches it through slf4j-jdk-platform-logging, Vert.x and Netty find SLF4J by
 * themselves; java.util.logging (Hazelcast's default among others) is bridged here.
 */
public final class Logging {

  public static final Set<String> FORMATS = Set.of("text", "json");
  public static final Set<String> LEVELS = Set.of("ERROR", "WARN", "INFO", "DEBUG", "TRACE");

  private Logging() {
  }

  /** What is wrong with LOG_FORMAT or LOG_LEVEL in {@code env}, or null when both are usable (or unset). */
  public static String problem(java.util.Map<String, String> env) {
    String format = env.get("LOG_FORMAT");
    if (format != null && !FORMATS.contains(format)) {
      return "LOG_FORMAT must be text or json, not '" + format + "'";
    }
    String level = env.get("LOG_LEVEL");
    if (level != null && !LEVELS.contains(level.toUpperCase(Locale.ROOT))) {
      return "LOG_LEVEL must be one of ERROR, WARN, INFO, DEBUG, TRACE, not '" + level + "'";
    }
    return null;
  }

  /** Routes java.util.logging into SLF4J and tells Hazelcast to log through SLF4J unless told otherwise. */
  public static void install() {
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    if (System.getProperty("hazelcast.logging.type") == null) {
      System.setProperty("hazelcast.logging.type", "slf4j");
    }
  }
}
