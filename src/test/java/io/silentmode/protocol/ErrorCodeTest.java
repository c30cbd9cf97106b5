package io.silentmode.protocol;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Bus codes cross the cluster between nodes of different versions: they must not move when the enum changes. */
class ErrorCodeTest {

  @Test
  void bus_codes_are_the_published_ones_and_map_back() {
    assertEquals(1000, ErrorCode.CLIENT_NOT_FOUND.busCode());
    assertEquals(1012, ErrorCode.STORAGE_ERROR.busCode());
    assertEquals(1017, ErrorCode.SERVER_RESTARTED.busCode());
    assertEquals(1027, ErrorCode.METHOD_NOT_ALLOWED.busCode());
    assertEquals(1028, ErrorCode.INSUFFICIENT_STORAGE.busCode());
    assertEquals(1029, ErrorCode.UNSUPPORTED_MEDIA_TYPE.busCode());
    assertEquals(1030, ErrorCode.FILE_TOO_LARGE.busCode());
    assertEquals(1031, ErrorCode.RESUME_TIMEOUT.busCode());
    assertEquals(1032, ErrorCode.DOWNLOAD_NOT_PAUSED.busCode());
    assertEquals(1033, ErrorCode.QUEUE_TIMEOUT.busCode());
    assertEquals(1034, ErrorCode.TOO_MANY_REQUESTS.busCode());
    assertEquals(1037, ErrorCode.BATCH_NOT_RETRYABLE.busCode());
    assertEquals(1050, ErrorCode.FORBIDDEN.busCode());
    assertEquals(1051, ErrorCode.PAYLOAD_TOO_LARGE.busCode());
    assertEquals(1052, ErrorCode.TOKEN_NOT_FOUND.busCode());
    assertEquals(1040, ErrorCode.AGENT_NOT_ENROLLED.busCode());
    assertEquals(1043, ErrorCode.ENROLLMENT_REFUSED.busCode());
    Arrays.stream(ErrorCode.values()).forEach(c -> assertEquals(c, ErrorCode.fromBusCode(c.busCode())));
    assertEquals(ErrorCode.INTERNAL_ERROR, ErrorCode.fromBusCode(42));
  }
}
