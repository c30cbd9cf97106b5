package io.silentmode.cli.operator;

/** The operator commands' exit codes, documented in README.md and in every command's help. */
final class ExitCode {

  static final int OK = 0;
  /** The pull failed or was cancelled, or the server refused the operation. */
  static final int FAILED = 1;
  static final int USAGE = 2;
  static final int UNREACHABLE = 3;
  static final int NOT_FOUND = 4;
  /** The job is not in a state that allows it (busy agent, finished job, ...). */
  static final int CONFLICT = 5;
  /** The server wants a token (--token or SILENTMODE_TOKEN), or refused this one. */
  static final int UNAUTHORIZED = 6;

  static final String HELP = "Exit codes: 0 success (a job shown queued, running or paused too), 1 the pull failed or "
    + "was cancelled, 2 usage, 3 server unreachable, 4 not found, 5 conflict (e.g. agent busy, job finished), 6 unauthorized.";

  private ExitCode() {
  }

  static int forStatus(int status) {
    return switch (status) {
      case 400, 422 -> USAGE;
      case 401, 403 -> UNAUTHORIZED;
      case 404, 410 -> NOT_FOUND;
      case 409 -> CONFLICT;
      default -> FAILED;
    };
  }
}
