package io.silentmode.server.store.pg;

import io.silentmode.server.StartupFailure;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgException;

import java.net.ConnectException;
import java.net.UnknownHostException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * DATABASE_URL parsed into connection options, and the failures of connecting turned into messages an operator can
 * act on. Nothing here ever repeats the password: messages name the user, host, port and database only.
 */
final class DatabaseUrl {

  private static final Pattern USER_INFO_PASSWORD = Pattern.compile("://[^:/@]*:([^@]*)@");
  private static final Pattern QUERY_PASSWORD = Pattern.compile("[?&]password=([^&]*)");

  final PgConnectOptions options;

  private DatabaseUrl(PgConnectOptions options) {
    this.options = options;
  }

  /** Fails with a message that shows the expected form but not the URL given, which may hold a password. */
  static DatabaseUrl parse(String url) {
    if (url == null || !url.matches("^postgres(ql)?://.*")) {
      throw new IllegalArgumentException("DATABASE_URL must look like postgresql://user:password@host:5432/database");
    }
    try {
      return new DatabaseUrl(PgConnectOptions.fromUri(url));
    } catch (IllegalArgumentException e) {
      Throwable reason = e.getCause() != null ? e.getCause() : e;
      throw new IllegalArgumentException("DATABASE_URL is not a valid postgresql://user:password@host:5432/database URL ("
        + redact(String.valueOf(reason.getMessage()), url) + ")");
    }
  }

  /** Who connects where, for messages: {@code user@host:port/database}. */
  String target() {
    return options.getUser() + "@" + options.getHost() + ":" + options.getPort() + "/" + options.getDatabase();
  }

  /** A message for a failure to connect or to set the schema up. */
  StartupFailure explain(Throwable e) {
    String where = "PostgreSQL " + target() + " (DATABASE_URL)";
    if (e instanceof StartupFailure known) {
      return new StartupFailure(where + ": " + known.getMessage());
    }
    if (e instanceof PgException pg) {
      String state = pg.getSqlState();
      if ("28P01".equals(state) || "28000".equals(state)) {
        return new StartupFailure(where + " refused the login (SQLSTATE " + state
          + "): check the user and password in DATABASE_URL and pg_hba.conf");
      }
      if ("3D000".equals(state)) {
        return new StartupFailure(where + ": the database does not exist; create it (docs/OPERATIONS.md)");
      }
      return new StartupFailure(where + " failed: " + redact(pg.getErrorMessage(), options.getPassword())
        + " (SQLSTATE " + state + ")");
    }
    if (e instanceof ConnectException || e.getCause() instanceof ConnectException) {
      return new StartupFailure("cannot reach " + where + ": " + redact(e.getMessage(), options.getPassword())
        + "; is the server running and is the host and port right?");
    }
    if (e instanceof UnknownHostException || e.getCause() instanceof UnknownHostException) {
      return new StartupFailure("cannot reach " + where + ": unknown host " + options.getHost());
    }
    return new StartupFailure(where + " failed: " + e.getClass().getSimpleName() + ": "
      + redact(String.valueOf(e.getMessage()), options.getPassword()));
  }

  /** {@code text} without the password, whether given as the password itself or as the URL holding it. */
  static String redact(String text, String secretOrUrl) {
    if (text == null || secretOrUrl == null || secretOrUrl.isEmpty()) {
      return text;
    }
    String out = text;
    for (Pattern p : new Pattern[] {USER_INFO_PASSWORD, QUERY_PASSWORD}) {
      Matcher m = p.matcher(secretOrUrl);
      while (m.find()) {
        if (!m.group(1).isEmpty()) {
          out = out.replace(m.group(1), "***");
        }
      }
    }
    return out.replace(secretOrUrl, "***");
  }
}
