package io.silentmode.server;

import io.netty.buffer.ByteBuf;
import io.silentmode.protocol.ChunkFrame;

import java.nio.ByteBuffer;
import java.util.UUID;

import static io.silentmode.protocol.ChunkFrame.HEADER_SIZE;
import static io.silentmode.protocol.ChunkFrame.INDEX_OFFSET;
import static io.silentmode.protocol.ChunkFrame.LENGTH_OFFSET;
import static io.silentmode.protocol.ChunkFrame.REQUEST_ID_OFFSET;
import static io.silentmode.protocol.ChunkFrame.SHA_OFFSET;
import static io.silentmode.protocol.ChunkFrame.SHA_SIZE;

/**
 * Reads a {@link ChunkFrame} as the server receives it: a Netty buffer, one piece or a composite of the WebSocket
 * fragments it came in (the header may even straddle two of them), read where it lies.
 */
public final class ReceivedChunk {

  private ReceivedChunk() {
  }

  /** Checks the fixed part of a received frame; returns a reason when it is malformed, else null. */
  public static String malformed(ByteBuf frame) {
    if (frame.readableBytes() < HEADER_SIZE) {
      return "chunk frame shorter than its " + HEADER_SIZE + "-byte header";
    }
    if (frame.getByte(0) != ChunkFrame.FRAME_VERSION || frame.getByte(1) != ChunkFrame.KIND_CHUNK) {
      return "unknown chunk frame version " + frame.getByte(0) + " or kind " + frame.getByte(1);
    }
    if (Integer.toUnsignedLong(frame.getInt(LENGTH_OFFSET)) != frame.readableBytes() - HEADER_SIZE) {
      return "chunk frame length field " + Integer.toUnsignedLong(frame.getInt(LENGTH_OFFSET))
        + " does not match its payload of " + (frame.readableBytes() - HEADER_SIZE) + " bytes";
    }
    return null;
  }

  public static UUID requestId(ByteBuf frame) {
    return new UUID(frame.getLong(REQUEST_ID_OFFSET), frame.getLong(REQUEST_ID_OFFSET + 8));
  }

  public static int index(ByteBuf frame) {
    return frame.getInt(INDEX_OFFSET);
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
