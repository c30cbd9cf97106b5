package io.silentmode.server;

/**
 * The server cannot start because of something outside it that the operator can fix (the database unreachable,
 * its login refused): the message says what and is printed as one line, never with the password.
 */
public class StartupFailure extends RuntimeException {

  public StartupFailure(String message) {
    super(message);
  }
}
