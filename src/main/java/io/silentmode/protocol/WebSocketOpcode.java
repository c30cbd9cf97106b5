package io.silentmode.protocol;

/** RFC 6455 frame opcodes (section 5.2): the agent writes them in its messages and the gateway's frame decoder reads them. */
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
}
