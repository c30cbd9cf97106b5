package io.silentmode.server.gateway;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A WebSocket frame as bytes on the wire, built field by field so that tests can also write what no encoder would:
 * unmasked client frames, RSV bits, reserved opcodes, lengths not in their shortest form or beyond any limit.
 */
final class WireFrame {

  private final int opcode;
  private final boolean fin;
  private final byte[] payload;
  private int rsv;
  private Integer mask = 0x5A3C_96E1;
  /** 0 for the shortest form, else 126 or 127 for the 2- or 8-byte form. */
  private int lengthForm;
  private Long declaredLength;

  private WireFrame(int opcode, boolean fin, byte[] payload) {
    this.opcode = opcode;
    this.fin = fin;
    this.payload = payload;
  }

  static WireFrame raw(int opcode, boolean fin, byte[] payload) {
    return new WireFrame(opcode, fin, payload);
  }

  static WireFrame text(boolean fin, byte[] payload) {
    return raw(1, fin, payload);
  }

  static WireFrame binary(boolean fin, byte[] payload) {
    return raw(2, fin, payload);
  }

  static WireFrame continuation(boolean fin, byte[] payload) {
    return raw(0, fin, payload);
  }

  static WireFrame ping(byte[] payload) {
    return raw(9, true, payload);
  }

  static WireFrame pong(byte[] payload) {
    return raw(10, true, payload);
  }

  static WireFrame close(byte[] body) {
    return raw(8, true, body);
  }

  static WireFrame close(byte[] status, String reason) {
    return close(concat(status, reason.getBytes(StandardCharsets.UTF_8)));
  }

  WireFrame mask(int key) {
    mask = key;
    return this;
  }

  WireFrame unmasked() {
    mask = null;
    return this;
  }

  /** RSV1 is 4, RSV2 2, RSV3 1. */
  WireFrame rsv(int bits) {
    rsv = bits;
    return this;
  }

  WireFrame lengthForm(int form) {
    lengthForm = form;
    return this;
  }

  /** A length field that says {@code length} whatever the payload (8-byte form). */
  WireFrame declaredLength(long length) {
    declaredLength = length;
    lengthForm = 127;
    return this;
  }

  byte[] wire() {
    long length = declaredLength != null ? declaredLength : payload.length;
    int form = lengthForm != 0 ? lengthForm : length <= 125 ? 0 : length <= 0xFFFF ? 126 : 127;
    ByteBuffer out = ByteBuffer.allocate(14 + payload.length);
    out.put((byte) ((fin ? 0x80 : 0) | rsv << 4 | opcode));
    int maskBit = mask == null ? 0 : 0x80;
    if (form == 0) {
      out.put((byte) (maskBit | length));
    } else if (form == 126) {
      out.put((byte) (maskBit | 126)).putShort((short) length);
    } else {
      out.put((byte) (maskBit | 127)).putLong(length);
    }
    if (mask != null) {
      out.putInt(mask);
    }
    for (int i = 0; i < payload.length; i++) {
      out.put((byte) (payload[i] ^ (mask == null ? 0 : mask >>> 8 * (3 - (i & 3)))));
    }
    byte[] bytes = new byte[out.position()];
    out.flip().get(bytes);
    return bytes;
  }

  static byte[] concat(List<WireFrame> frames) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    frames.forEach(frame -> out.writeBytes(frame.wire()));
    return out.toByteArray();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] both = new byte[a.length + b.length];
    System.arraycopy(a, 0, both, 0, a.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    return both;
  }

  @Override
  public String toString() {
    return "opcode " + opcode + (fin ? " FIN" : "") + (rsv != 0 ? " RSV " + rsv : "") + (mask == null ? " unmasked" : "")
      + " length " + (declaredLength != null ? declaredLength : payload.length) + (lengthForm != 0 ? " in form " + lengthForm : "");
  }
}
