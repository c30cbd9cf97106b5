package io.silentmode.protocol;

import io.netty.buffer.ByteBuf;

import java.nio.ByteBuffer;
import java.util.UUID;

/**
 * The binary chunk frame: a fixed 58-byte big-endian header, then the raw chunk bytes.
 * Chunks stay binary end to end (no base64, no JSON) because they are the hot path; the layout
 * is documented byte by byte in docs/PROTOCOL.md.
 *
 * <pre>
 * offset size field
 *  0     1    version   (= 1)
 *  1     1    kind      (= 1, chunk)
 *  2     16   requestId (UUID, most significant bits first)
 *  18    4    chunk index (unsigned)
 *  22    4    payload length (unsigned)
 *  26    32   SHA-256 of the payload
 *  58    n    payload
 * </pre>
 */
public final class ChunkFrame {

  public static final byte FRAME_VERSION = 1;
  public static final byte KIND_CHUNK = 1;
  public static final int HEADER_SIZE = 58;
  private static final int LENGTH_OFFSET = 22;
  private static final int SHA_OFFSET = 26;
  public static final int SHA_SIZE = 32;

  private ChunkFrame() {
  }

  /** Writes the header into the first {@link #HEADER_SIZE} bytes of {@code frame}, whose payload is already in place. */
  public static void writeHeader(ByteBuffer frame, UUID requestId, int index, int length, byte[] sha256) {
    frame.put(0, FRAME_VERSION).put(1, KIND_CHUNK)
      .putLong(2, requestId.getMostSignificantBits()).putLong(10, requestId.getLeastSignificantBits())
      .putInt(18, index).putInt(LENGTH_OFFSET, length).put(SHA_OFFSET, sha256);
  }

  /** Checks the fixed part of a received frame; returns a reason when it is malformed, else null. */
  public static String malformed(ByteBuf frame) {
    if (frame.readableBytes() < HEADER_SIZE) {
      return "chunk frame shorter than its " + HEADER_SIZE + "-byte header";
    }
    if (frame.getByte(0) != FRAME_VERSION || frame.getByte(1) != KIND_CHUNK) {
      return "unknown chunk frame version " + frame.getByte(0) + " or kind " + frame.getByte(1);
    }
    if (Integer.toUnsignedLong(frame.getInt(LENGTH_OFFSET)) != frame.readableBytes() - HEADER_SIZE) {
      return "chunk frame length field " + Integer.toUnsignedLong(frame.getInt(LENGTH_OFFSET))
        + " does not match its payload of " + (frame.readableBytes() - HEADER_SIZE) + " bytes";
    }
    return null;
  }

  public static UUID requestId(ByteBuf frame) {
    return new UUID(frame.getLong(2), frame.getLong(10));
  }

  public static int index(ByteBuf frame) {
    return frame.getInt(18);
  }

  public static int payloadLength(ByteBuf frame) {
    return frame.readableBytes() - HEADER_SIZE;
  }

  public static byte[] sha256(ByteBuf frame) {
    byte[] sha256 = new byte[SHA_SIZE];
    frame.getBytes(SHA_OFFSET, sha256);
    return sha256;
  }

  /**
   * Views of the payload that share the frame's memory, so hashing and writing need no copy: one for a frame that
   * arrived in one piece, several for one reassembled from WebSocket fragments.
   */
  public static ByteBuffer[] payload(ByteBuf frame) {
    return frame.nioBuffers(HEADER_SIZE, payloadLength(frame));
  }
}
