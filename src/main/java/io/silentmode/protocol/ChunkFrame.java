package io.silentmode.protocol;

import java.nio.ByteBuffer;
import java.util.UUID;

/**
 * The binary chunk frame: a fixed 58-byte big-endian header, then the raw chunk bytes.
 * Chunks stay binary end to end (no base64, no JSON) because they are the hot path; the layout
 * is documented byte by byte in docs/PROTOCOL.md. The agent writes frames into NIO buffers here; the server reads the
 * frames it receives, Netty buffers, with {@code io.silentmode.server.ReceivedChunk}.
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
  public static final int REQUEST_ID_OFFSET = 2;
  public static final int INDEX_OFFSET = 18;
  public static final int LENGTH_OFFSET = 22;
  public static final int SHA_OFFSET = 26;
  public static final int SHA_SIZE = 32;

  private ChunkFrame() {
  }

  /** Writes the header into the first {@link #HEADER_SIZE} bytes of {@code frame}, whose payload is already in place. */
  public static void writeHeader(ByteBuffer frame, UUID requestId, int index, int length, byte[] sha256) {
    frame.put(0, FRAME_VERSION).put(1, KIND_CHUNK)
      .putLong(REQUEST_ID_OFFSET, requestId.getMostSignificantBits())
      .putLong(REQUEST_ID_OFFSET + 8, requestId.getLeastSignificantBits())
      .putInt(INDEX_OFFSET, index).putInt(LENGTH_OFFSET, length).put(SHA_OFFSET, sha256);
  }
}
