package io.silentmode.protocol;

/**
 * The stable error codes of silentmode, shared by the wire protocol, the event bus and the REST API.
 * The bus code is what {@code Message.fail(code, text)} carries; {@link #fromBusCode} maps it back.
 */
public enum ErrorCode {
  CLIENT_NOT_FOUND(404, false),
  CLIENT_NOT_CONNECTED(409, true),
  FILE_NOT_FOUND(404, false),
  FILE_READ_ERROR(500, true),
  PERMISSION_DENIED(403, false),
  DOWNLOAD_NOT_FOUND(404, false),
  DOWNLOAD_IN_PROGRESS(409, false),
  DOWNLOAD_NOT_ACTIVE(409, false),
  DOWNLOAD_TIMEOUT(504, true),
  CHUNK_CHECKSUM_FAILED(502, true),
  CHUNK_TRANSFER_FAILED(502, true),
  FILE_CHECKSUM_FAILED(502, true),
  STORAGE_ERROR(500, true),
  PROTOCOL_VERSION_MISMATCH(400, false),
  PROTOCOL_ERROR(400, false),
  VALIDATION_FAILED(400, false),
  INTERNAL_ERROR(500, true),
  // REST API (issue 3); new codes go at the end, so that bus codes stay stable.
  SERVER_RESTARTED(503, true),
  DOWNLOAD_NOT_RETRYABLE(409, false),
  DOWNLOAD_NOT_COMPLETED(409, true),
  IDEMPOTENCY_KEY_IN_USE(409, true),
  IDEMPOTENCY_KEY_REUSED(422, false),
  LINK_INVALID(403, false),
  LINK_EXPIRED(410, false),
  UNAUTHORIZED(401, false),
  RANGE_NOT_SATISFIABLE(416, false),
  NOT_FOUND(404, false),
  METHOD_NOT_ALLOWED(405, false);

  private static final int BUS_CODE_BASE = 1000;

  private final int httpStatus;
  private final boolean retryable;

  ErrorCode(int httpStatus, boolean retryable) {
    this.httpStatus = httpStatus;
    this.retryable = retryable;
  }

  public int httpStatus() {
    return httpStatus;
  }

  public boolean retryable() {
    return retryable;
  }

  public int busCode() {
    return BUS_CODE_BASE + ordinal();
  }

  public static ErrorCode fromBusCode(int code) {
    int i = code - BUS_CODE_BASE;
    return i >= 0 && i < values().length ? values()[i] : INTERNAL_ERROR;
  }

  /** Parses a code received from a peer; unknown names become {@link #INTERNAL_ERROR}. */
  public static ErrorCode parse(String name) {
    try {
      return name == null ? INTERNAL_ERROR : valueOf(name);
    } catch (IllegalArgumentException e) {
      return INTERNAL_ERROR;
    }
  }
}
