package io.silentmode.protocol;

/** Control message types; they travel as JSON text frames with a {@code type} field. See docs/PROTOCOL.md. */
public enum MessageType {
  CHALLENGE,
  REGISTER,
  REGISTER_ACK,
  PING,
  PONG,
  DOWNLOAD_REQUEST,
  DOWNLOAD_PREPARING,
  DOWNLOAD_ACK,
  REQUEST_CHUNKS,
  RETRY_CHUNK,
  DOWNLOAD_COMPLETE,
  CANCEL_DOWNLOAD,
  ERROR;

  public static MessageType parse(String name) {
    try {
      return name == null ? null : valueOf(name);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
