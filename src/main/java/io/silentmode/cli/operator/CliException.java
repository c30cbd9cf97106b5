package io.silentmode.cli.operator;

/** A failure to report in one line, with its exit code: never a stack trace for the operator. */
final class CliException extends RuntimeException {

  final int exitCode;

  CliException(int exitCode, String message) {
    super(message, null, false, false);
    this.exitCode = exitCode;
  }
}
