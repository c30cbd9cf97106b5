package io.silentmode.agent;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.silentmode.protocol.FrameMask;
import io.silentmode.protocol.WebSocketOpcode;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import static io.silentmode.protocol.WebSocketOpcode.MAX_CONTROL_PAYLOAD;

/**
 * The agent's WebSocket frame encoder, in place of Netty's {@code WebSocket08FrameEncoder}: RFC 6455 client frames,
 * each masked with a fresh random key as section 5.3 requires, drawn as Netty draws them ({@code ThreadLocalRandom}:
 * the key only has to be unknown to whoever chose the payload, here the agent itself). What differs is the
 * masking loop. Netty's goes through {@code ByteBuf}'s bounds-checked accessors and, depending on how the JIT
 * compiled it, cost the agent 0.9 to 1.9 s of event-loop CPU per GiB sent, more than reading the file; this one
 * masks while it copies the payload into the frame, with {@link FrameMask}.
 */
final class MaskingFrameEncoder extends MessageToMessageEncoder<WebSocketFrame> {

  MaskingFrameEncoder() {
    super(WebSocketFrame.class);
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, WebSocketFrame frame, List<Object> out) {
    ByteBuf data = frame.content();
    int length = data.readableBytes();
    int opcode = WebSocketOpcode.of(frame);
    if (WebSocketOpcode.isControl(opcode) && length > MAX_CONTROL_PAYLOAD) {
      throw new IllegalArgumentException("a control frame carries at most 125 bytes, not " + length);
    }
    int extendedLength = length <= MAX_CONTROL_PAYLOAD ? 0 : length <= 0xFFFF ? 2 : 8;
    ByteBuf encoded = ctx.alloc().directBuffer(2 + extendedLength + 4 + length);
    try {
      encoded.writeByte((frame.isFinalFragment() ? 0x80 : 0) | (frame.rsv() & 0x7) << 4 | opcode);
      if (extendedLength == 0) {
        encoded.writeByte(0x80 | length);
      } else if (extendedLength == 2) {
        encoded.writeByte(0x80 | 126).writeShort(length);
      } else {
        encoded.writeByte(0x80 | 127).writeLong(length);
      }
      int mask = ThreadLocalRandom.current().nextInt();
      encoded.writeInt(mask);
      FrameMask.apply(data.nioBuffer(), encoded.nioBuffer(encoded.writerIndex(), length), mask, 0);
      encoded.writerIndex(encoded.writerIndex() + length);
    } catch (RuntimeException e) {
      encoded.release();
      throw e;
    }
    out.add(encoded);
  }
}
