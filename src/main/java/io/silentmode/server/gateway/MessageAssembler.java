package io.silentmode.server.gateway;

import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.silentmode.protocol.Protocol;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.internal.buffer.BufferInternal;

import java.nio.charset.StandardCharsets;

/**
 * Turns the WebSocket frames of one connection into whole text and binary messages without copying a payload
 * byte. Vert.x's own message handlers grow a buffer frame by frame and then copy the whole message again, which
 * on the chunk path cost more CPU than everything else the gateway does, and left a 1 MiB array per chunk for
 * the garbage collector. Here a message in one frame is passed on as it is, and a fragmented one as a composite
 * of its fragments. Ping, pong and close frames are left to Vert.x.
 * <p>
 * A message may have at most {@link Protocol#MAX_FRAGMENTS} fragments, empty ones included: every fragment costs memory
 * beyond its bytes, and a peer that need not even have registered could otherwise fill the heap with empty frames.
 * After the first violation everything is dropped; the caller closes the connection.
 */
final class MessageAssembler implements Handler<WebSocketFrame> {

  private final int maxMessageSize;
  private final Handler<String> onText;
  private final Handler<Buffer> onBinary;
  private final Handler<String> onViolation;
  private CompositeByteBuf partial;
  private boolean partialIsText;
  private boolean broken;

  /** {@code onViolation} gets the reason when a message exceeds {@code maxMessageSize} or {@link Protocol#MAX_FRAGMENTS}. */
  MessageAssembler(int maxMessageSize, Handler<String> onText, Handler<Buffer> onBinary, Handler<String> onViolation) {
    this.maxMessageSize = maxMessageSize;
    this.onText = onText;
    this.onBinary = onBinary;
    this.onViolation = onViolation;
  }

  @Override
  public void handle(WebSocketFrame frame) {
    if (broken) {
      return;
    }
    // Netty's decoder has already closed the connection on fragments out of order: a continuation always follows
    // a non-final text or binary frame, and a new message never starts before the last fragment of the previous one.
    if (frame.isContinuation()) {
      append(frame.binaryData(), frame.isFinal());
    } else if (frame.isText() || frame.isBinary()) {
      if (frame.isFinal()) {
        deliver(frame.isText(), frame.binaryData());
      } else {
        partial = Unpooled.compositeBuffer(Integer.MAX_VALUE); // never consolidated: that would copy
        partialIsText = frame.isText();
        append(frame.binaryData(), false);
      }
    }
  }

  private void append(Buffer fragment, boolean last) {
    if (partial.readableBytes() + fragment.length() > maxMessageSize) {
      fail("message larger than " + maxMessageSize + " bytes");
      return;
    }
    if (partial.numComponents() == Protocol.MAX_FRAGMENTS) {
      fail("message in more than " + Protocol.MAX_FRAGMENTS + " fragments");
      return;
    }
    partial.addComponent(true, ((BufferInternal) fragment).getByteBuf());
    if (last) {
      Buffer message = BufferInternal.buffer(partial);
      partial = null;
      deliver(partialIsText, message);
    }
  }

  private void deliver(boolean text, Buffer message) {
    if (text) {
      onText.handle(message.toString(StandardCharsets.UTF_8));
    } else {
      onBinary.handle(message);
    }
  }

  private void fail(String reason) {
    partial = null;
    broken = true;
    onViolation.handle(reason);
  }
}
