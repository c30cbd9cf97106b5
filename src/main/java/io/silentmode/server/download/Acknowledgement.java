package io.silentmode.server.download;

import io.silentmode.protocol.ErrorCode;
import io.silentmode.protocol.PullException;
import io.vertx.core.json.JsonObject;

/**
 * A DOWNLOAD_ACK, checked before the server allocates or opens anything for it: everything in it comes from the
 * agent, which may be hostile (docs/PROTOCOL.md §6). The file size is bounded by MAX_FILE_SIZE, and the file name,
 * which is only shown and folded into the name of the pulled file, by {@link #MAX_FILE_NAME}.
 */
record Acknowledgement(String fileName, long fileSize, int totalChunks, String fileChecksum) {

  /** Characters of a DOWNLOAD_ACK's {@code fileName}; a longer name is a protocol error. */
  static final int MAX_FILE_NAME = 1024;
  /** Characters of the agent's name kept in the pulled file's name, which then stays below 255 bytes. */
  static final int MAX_NAME_IN_FILE = 96;

  /** The acknowledgement, or a PullException (PROTOCOL_ERROR or FILE_TOO_LARGE) saying what is wrong with it. */
  static Acknowledgement of(JsonObject ack, int chunkSize, long maxFileSize) {
    try {
      return check(ack.getString("fileName"), ack.getLong("fileSize"), ack.getInteger("totalChunks"),
        ack.getString("fileChecksum"), chunkSize, maxFileSize);
    } catch (ClassCastException e) {
      throw bad("a field has the wrong type");
    }
  }

  private static Acknowledgement check(String name, Long size, Integer total, String sha, int chunkSize, long maxFileSize) {
    if (size == null || size < 0) {
      throw bad("fileSize missing or negative");
    }
    if (size > maxFileSize) {
      throw new PullException(ErrorCode.FILE_TOO_LARGE, "the file is " + size + " bytes, over MAX_FILE_SIZE ("
        + maxFileSize + " bytes)");
    }
    long expectedChunks = (size + chunkSize - 1) / chunkSize;
    if (total == null || total != expectedChunks) {
      throw bad("totalChunks " + total + " does not match fileSize " + size + " in chunks of " + chunkSize);
    }
    if (sha == null || !sha.matches("[0-9a-fA-F]{64}")) {
      throw bad("fileChecksum is not a hex SHA-256");
    }
    if (name != null && name.length() > MAX_FILE_NAME) {
      throw bad("fileName is longer than " + MAX_FILE_NAME + " characters");
    }
    return new Acknowledgement(name == null || name.isBlank() ? "file" : name, size, total, sha);
  }

  /**
   * The agent's name as one safe segment of the pulled file's name: every character but {@code A-Z a-z 0-9 . _ -}
   * (so every separator, NUL and control character) becomes {@code _}, leading dots too (no {@code ..}, no hidden
   * file), and it is cut to {@link #MAX_NAME_IN_FILE} characters.
   */
  String safeName() {
    String safe = fileName.replaceAll("[^A-Za-z0-9._-]", "_").replaceAll("^\\.+", "_");
    return safe.length() > MAX_NAME_IN_FILE ? safe.substring(0, MAX_NAME_IN_FILE) : safe;
  }

  private static PullException bad(String problem) {
    return new PullException(ErrorCode.PROTOCOL_ERROR, problem);
  }
}
