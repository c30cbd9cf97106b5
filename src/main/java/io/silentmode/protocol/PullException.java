package io.silentmode.protocol;

import io.vertx.core.eventbus.ReplyException;

/** The one failure type of silentmode: a stable {@link ErrorCode} plus a message a person can act on. */
public class PullException extends RuntimeException {

  private final ErrorCode code;

  public PullException(ErrorCode code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }

  /** Recovers the code from any failure, including a {@link ReplyException} that crossed the event bus. */
  public static PullException of(Throwable t) {
    if (t instanceof PullException p) {
      return p;
    }
    if (t instanceof ReplyException r && r.failureCode() >= 1000) {
      return new PullException(ErrorCode.fromBusCode(r.failureCode()), r.getMessage());
    }
    return new PullException(ErrorCode.INTERNAL_ERROR, String.valueOf(t.getMessage()));
  }
}
