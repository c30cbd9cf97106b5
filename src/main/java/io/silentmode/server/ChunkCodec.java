package io.silentmode.server;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;

/**
 * Passes chunk frames between local verticles without the copy the default {@code Buffer} codec makes.
 * Safe because a frame has one owner at a time: the gateway hands it on and never touches it again.
 */
public final class ChunkCodec implements MessageCodec<Buffer, Buffer> {

  public static final String NAME = "silentmode.chunk";

  public static void register(Vertx vertx) {
    vertx.eventBus().unregisterCodec(NAME);
    vertx.eventBus().registerCodec(new ChunkCodec());
  }

  @Override
  public void encodeToWire(Buffer wire, Buffer frame) {
    wire.appendInt(frame.length()).appendBuffer(frame);
  }

  @Override
  public Buffer decodeFromWire(int pos, Buffer wire) {
    int length = wire.getInt(pos);
    return wire.getBuffer(pos + 4, pos + 4 + length);
  }

  @Override
  public Buffer transform(Buffer frame) {
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
