package io.silentmode.protocol;

import java.util.HashMap;
import java.util.Map;

/**
 * The stable error codes of silentmode, shared by the wire protocol, the event bus and the REST API.
 * The bus code is what {@code Message.fail(code, text)} carries; {@link #fromBusCode} maps it back. Bus codes are
 * explicit and never reused, so that nodes of different versions agree on them: a new code takes the next free one.
 */
public enum ErrorCode {
  CLIENT_NOT_FOUND(1000, 404, false),
  CLIENT_NOT_CONNECTED(1001, 409, true),
  FILE_NOT_FOUND(1002, 404, false),
  FILE_READ_ERROR(1003, 500, true),
  PERMISSION_DENIED(1004, 403, false),
  DOWNLOAD_NOT_FOUND(1005, 404, false),
  DOWNLOAD_IN_PROGRESS(1006, 409, false),
  DOWNLOAD_NOT_ACTIVE(1007, 409, false),
  DOWNLOAD_TIMEOUT(1008, 504, true),
  CHUNK_CHECKSUM_FAILED(1009, 502, true),
  CHUNK_TRANSFER_FAILED(1010, 502, true),
  FILE_CHECKSUM_FAILED(1011, 502, true),
  STORAGE_ERROR(1012, 500, true),
  PROTOCOL_VERSION_MISMATCH(1013, 400, false),
  PROTOCOL_ERROR(1014, 400, false),
  VALIDATION_FAILED(1015, 400, false),
  INTERNAL_ERROR(1016, 500, true),
  // REST API
  SERVER_RESTARTED(1017, 503, true),
  DOWNLOAD_NOT_RETRYABLE(1018, 409, false),
  DOWNLOAD_NOT_COMPLETED(1019, 409, true),
  IDEMPOTENCY_KEY_IN_USE(1020, 409, true),
  IDEMPOTENCY_KEY_REUSED(1021, 422, false),
  LINK_INVALID(1022, 403, false),
  LINK_EXPIRED(1023, 410, false),
  UNAUTHORIZED(1024, 401, false),
  RANGE_NOT_SATISFIABLE(1025, 416, false),
  NOT_FOUND(1026, 404, false),
  METHOD_NOT_ALLOWED(1027, 405, false),
  INSUFFICIENT_STORAGE(1028, 507, true),
  UNSUPPORTED_MEDIA_TYPE(1029, 415, false),
  // agent protocol
  FILE_TOO_LARGE(1030, 413, false),
  // resume
  RESUME_TIMEOUT(1031, 504, true),
  DOWNLOAD_NOT_PAUSED(1032, 409, false),
  // limits
  QUEUE_TIMEOUT(1033, 504, true),
  TOO_MANY_REQUESTS(1034, 429, true),
  // batches
  BATCH_NOT_FOUND(1035, 404, false),
  BATCH_NOT_ACTIVE(1036, 409, false),
  BATCH_NOT_RETRYABLE(1037, 409, false),
  // agent identity
  AGENT_NOT_ENROLLED(1040, 401, false),
  AGENT_AUTH_FAILED(1041, 401, false),
  AGENT_REVOKED(1042, 403, false),
  ENROLLMENT_REFUSED(1043, 403, false),
  // operators' roles and API limits (1050 on: codes 1035-1049 are left to work landing alongside)
  FORBIDDEN(1050, 403, false),
  PAYLOAD_TOO_LARGE(1051, 413, false),
  TOKEN_NOT_FOUND(1052, 404, false);

  private static final Map<Integer, ErrorCode> BY_BUS_CODE = new HashMap<>();

  static {
    for (ErrorCode code : values()) {
      if (BY_BUS_CODE.put(code.busCode, code) != null) {
        throw new ExceptionInInitializerError("bus code " + code.busCode + " is used twice");
      }
    }
  }

  private final int busCode;
  private final int httpStatus;
  private final boolean retryable;

  ErrorCode(int busCode, int httpStatus, boolean retryable) {
    this.busCode = busCode;
    this.httpStatus = httpStatus;
    this.retryable = retryable;
  }

  public int httpStatus() {
    return httpStatus;
  }

  public boolean retryable() {
    return retryable;
  }

  /** The code {@code Message.fail} carries over the event bus; fixed per constant, whatever the enum's order. */
  public int busCode() {
    return busCode;
  }

  public static ErrorCode fromBusCode(int code) {
    return BY_BUS_CODE.getOrDefault(code, INTERNAL_ERROR);
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
