package io.silentmode.server.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.silentmode.protocol.Protocol;
import io.vertx.core.Handler;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executor;

/**
 * Takes the text and binary messages of one agent connection from {@link UnmaskingFrameDecoder}, ahead of Vert.x, and
 * passes them on whole without copying a payload byte. Vert.x would copy every frame out of Netty's pooled memory
 * onto the heap, and its message handlers would grow a buffer frame by frame and copy the whole message again:
 * on the chunk path that cost more CPU than everything else the gateway does, and fed the garbage collector a
 * chunk's worth of arrays per chunk. Here a message in one frame is passed on as it was decoded, and a fragmented
 * one as a composite of its fragments. Ping, pong and close frames go on to Vert.x, which answers them.
 * <p>
 * A binary message is handed over with its ownership: it may be pooled memory, and whoever holds it last releases
 * it (see {@link io.silentmode.server.ChunkCodec}). Handlers run through {@code onContext}: in the gateway, at once
 * on its verticle's context, whose event loop is the connection's.
 * <p>
 * A message may have at most {@link Protocol#MAX_FRAGMENTS} fragments, empty ones included: every fragment costs memory
 * beyond its bytes, and a peer that need not even have registered could otherwise fill the memory with empty frames.
 * After the first violation everything is dropped; the violation handler closes the connection.
 */
final class MessageAssembler extends ChannelInboundHandlerAdapter {

  private final Executor onContext;
  private final int maxMessageSize;
  private final Handler<String> onText;
  private final Handler<ByteBuf> onBinary;
  private final Handler<String> onViolation;
  private CompositeByteBuf partial;
  private boolean partialIsText;
  private boolean broken;

  /** {@code onViolation} gets the reason when a message exceeds {@code maxMessageSize} or {@link Protocol#MAX_FRAGMENTS}. */
  MessageAssembler(Executor onContext, int maxMessageSize, Handler<String> onText, Handler<ByteBuf> onBinary,
                   Handler<String> onViolation) {
    this.onContext = onContext;
    this.maxMessageSize = maxMessageSize;
    this.onText = onText;
    this.onBinary = onBinary;
    this.onViolation = onViolation;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof TextWebSocketFrame || msg instanceof BinaryWebSocketFrame
      || msg instanceof ContinuationWebSocketFrame)) {
      ctx.fireChannelRead(msg);
      return;
    }
    WebSocketFrame frame = (WebSocketFrame) msg;
    if (broken) {
      frame.release();
      return;
    }
    // The decoder has already refused fragments out of order: a continuation always follows
    // a non-final text or binary frame, and a new message never starts before the last fragment of the previous one.
    if (frame instanceof ContinuationWebSocketFrame) {
      append(frame.content(), frame.isFinalFragment());
    } else if (frame.isFinalFragment()) {
      deliver(frame instanceof TextWebSocketFrame, frame.content());
    } else {
      partial = Unpooled.compositeBuffer(Integer.MAX_VALUE); // never consolidated: that would copy
      partialIsText = frame instanceof TextWebSocketFrame;
      append(frame.content(), false);
    }
  }

  /** Takes ownership of {@code fragment}. */
  private void append(ByteBuf fragment, boolean last) {
    if (partial.readableBytes() + fragment.readableBytes() > maxMessageSize) {
      fragment.release();
      fail("message larger than " + maxMessageSize + " bytes");
      return;
    }
    if (partial.numComponents() == Protocol.MAX_FRAGMENTS) {
      fragment.release();
      fail("message in more than " + Protocol.MAX_FRAGMENTS + " fragments");
      return;
    }
    partial.addComponent(true, fragment);
    if (last) {
      ByteBuf message = partial;
      partial = null;
      deliver(partialIsText, message);
    }
  }

  private void deliver(boolean text, ByteBuf message) {
    if (text) {
      String decoded = message.toString(StandardCharsets.UTF_8);
      message.release();
      onContext.execute(() -> onText.handle(decoded));
    } else {
      onContext.execute(() -> onBinary.handle(message));
    }
  }

  private void fail(String reason) {
    releasePartial();
    broken = true;
    onContext.execute(() -> onViolation.handle(reason));
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    releasePartial(); // the connection ended mid-message
  }

  private void releasePartial() {
    if (partial != null) {
      partial.release();
      partial = null;
    }
  }
}
