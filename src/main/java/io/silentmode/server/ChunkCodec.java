package io.silentmode.server;

import io.netty.buffer.ByteBuf;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;

/**
 * Passes received chunk frames between the verticles of one node as they are: Netty buffers, often pooled memory,
 * never copied. A frame has one owner at a time, and the last one releases it: the gateway hands it to the
 * orchestrator, which hands it to the disk writer or releases it; the disk writer releases it once the chunk is
 * written and hashed, or dropped. Chunk frames never go to another node: a pull's chunks are written by the node
 * its agent is connected to.
 */
public final class ChunkCodec implements MessageCodec<ByteBuf, ByteBuf> {

  public static final String NAME = "silentmode.chunk";

  public static void register(Vertx vertx) {
    vertx.eventBus().unregisterCodec(NAME);
    vertx.eventBus().registerCodec(new ChunkCodec());
  }

  @Override
  public void encodeToWire(Buffer wire, ByteBuf frame) {
    throw new UnsupportedOperationException("chunk frames are delivered on their own node only");
  }

  @Override
  public ByteBuf decodeFromWire(int pos, Buffer wire) {
    throw new UnsupportedOperationException("chunk frames are delivered on their own node only");
  }

  @Override
  public ByteBuf transform(ByteBuf frame) {
    return frame;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
