package io.silentmode.server.gateway;

import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
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
 */
final class MessageAssembler implements Handler<WebSocketFrame> {

  private final int maxMessageSize;
  private final Handler<String> onText;
  private final Handler<Buffer> onBinary;
  private final Handler<String> onViolation;
  private CompositeByteBuf partial;
  private boolean partialIsText;

  /** {@code onViolation} gets the reason when a message exceeds {@code maxMessageSize} or fragments are out of order. */
  MessageAssembler(int maxMessageSize, Handler<String> onText, Handler<Buffer> onBinary, Handler<String> onViolation) {
    this.maxMessageSize = maxMessageSize;
    this.onText = onText;
    this.onBinary = onBinary;
    this.onViolation = onViolation;
  }

  @Override
  public void handle(WebSocketFrame frame) {
    if (frame.isText() || frame.isBinary()) {
      if (partial != null) {
        fail("a new message started before the previous one's last fragment");
      } else if (frame.isFinal()) {
        deliver(frame.isText(), frame.binaryData());
      } else {
        partial = Unpooled.compositeBuffer(Integer.MAX_VALUE); // never consolidated: that would copy
        partialIsText = frame.isText();
        append(frame.binaryData(), false);
      }
    } else if (frame.isContinuation()) {
      if (partial == null) {
        fail("a continuation frame without a message to continue");
      } else {
        append(frame.binaryData(), frame.isFinal());
      }
    }
  }

  private void append(Buffer fragment, boolean last) {
    if (partial.readableBytes() + fragment.length() > maxMessageSize) {
      fail("message larger than " + maxMessageSize + " bytes");
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
    onViolation.handle(reason);
  }
}
