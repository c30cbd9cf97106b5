package io.silentmode.agent;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.silentmode.protocol.WebSocketOpcode;

import java.nio.ByteBuffer;
import java.util.UUID;
import java.util.function.BiFunction;

/** A pull being served: its open file, the digests announced for it, and its frame buffers. */
record Serving(UUID requestId, ServedFile file, FileDigests digests, Pools pools) {

  /** Chunk frames as read from the file, and as encoded for the wire; kept while the chunk size stays the same. */
  record Pools(FramePool reads, FramePool wires) {
    Pools(ServedFile file) {
      this(new FramePool(file.frameSize()),
        new FramePool(MaskedMessage.encodedLength(file.frameSize(), AgentVerticle.WIRE_FRAME_SIZE)));
    }

    boolean fit(ServedFile file) {
      return reads.size() == file.frameSize();
    }
  }

  /** Runs on a worker thread: the chunk's message, framed and masked, or null if {@code prepare} dropped it. */
  ByteBuffer read(int index, boolean recheck, BiFunction<Integer, ByteBuffer, ByteBuffer> prepare) {
    ByteBuffer frame = pools.reads().take(file.frameLength(index));
    try {
      file.readFrame(requestId, index, frame, digests.chunk(index), recheck);
      ByteBuffer prepared = prepare.apply(index, frame);
      if (prepared == null) {
        return null;
      }
      ByteBuffer message = pools.wires().take(MaskedMessage.encodedLength(prepared.remaining(), AgentVerticle.WIRE_FRAME_SIZE));
      MaskedMessage.encode(WebSocketOpcode.BINARY, prepared, message, AgentVerticle.WIRE_FRAME_SIZE);
      return message;
    } finally {
      pools.reads().give(frame);
    }
  }

  /**
   * Writes a chunk message ({@link #read}; null: nothing) to the connection's pipeline, below Vert.x's WebSocket
   * (null: not connected), and gives its buffer back once written or dropped.
   */
  void write(ByteBuffer message, ChannelHandlerContext wire) {
    if (message == null) {
      return;
    }
    if (wire == null || file.released()) {
      pools.wires().give(message);
      return;
    }
    // Wrapping the buffer copies nothing; a failed write means the connection is going anyway.
    wire.writeAndFlush(Unpooled.wrappedBuffer(message)).addListener(written -> pools.wires().give(message));
  }
}
