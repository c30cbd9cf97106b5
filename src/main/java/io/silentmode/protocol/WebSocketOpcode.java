package io.silentmode.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

/**
 * RFC 6455 frame opcodes (section 5.2), and the Netty frame class of each: the agent writes them in its messages
 * and the gateway's frame decoder reads them.
 */
public final class WebSocketOpcode {

  public static final int CONTINUATION = 0x0;
  public static final int TEXT = 0x1;
  public static final int BINARY = 0x2;
  public static final int CLOSE = 0x8;
  public static final int PING = 0x9;
  public static final int PONG = 0xA;
  /** Control frames (opcode 8 and above) carry at most this many payload bytes. */
  public static final int MAX_CONTROL_PAYLOAD = 125;

  private WebSocketOpcode() {
  }

  public static boolean isControl(int opcode) {
    return opcode >= CLOSE;
  }

  /** A frame of {@code opcode} carrying {@code data}, without extension bits; control frames are always final. */
  public static WebSocketFrame frame(int opcode, boolean fin, ByteBuf data) {
    return switch (opcode) {
      case CONTINUATION -> new ContinuationWebSocketFrame(fin, 0, data);
      case TEXT -> new TextWebSocketFrame(fin, 0, data);
      case BINARY -> new BinaryWebSocketFrame(fin, 0, data);
      case CLOSE -> new CloseWebSocketFrame(true, 0, data);
      case PING -> new PingWebSocketFrame(data);
      case PONG -> new PongWebSocketFrame(data);
      default -> throw new IllegalArgumentException("reserved opcode " + opcode);
    };
  }
}
