package io.silentmode.agent;

import io.silentmode.protocol.FrameMask;
import io.silentmode.protocol.WebSocketOpcode;

import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket message as the agent puts it on the wire: RFC 6455 client frames of at most a given payload size,
 * the message's opcode (TEXT or BINARY) then CONTINUATION, FIN on the last, each masked with a fresh random key as
 * section 5.3 requires. The key is drawn as Netty draws it ({@code ThreadLocalRandom}): it only has to be unknown
 * to whoever chose the payload, here the agent itself.
 * <p>
 * The agent encodes each chunk message on the worker thread that has just read it from the file, and masks it as
 * it copies it into the frames: one pass, off the event loop. Sent through Vert.x's {@code writeBinaryMessage},
 * every byte was masked on the event loop instead (by Netty's encoder, or by one of ours swapped in for it).
 */
final class MaskedMessage {

  /** Payload lengths up to this fit in the frame's second byte; longer ones take 2 or 8 more bytes. */
  private static final int SHORT_LENGTH = 125;

  private MaskedMessage() {
  }

  /** The size of a message of {@code length} bytes on the wire, in frames of at most {@code maxFramePayload}. */
  static int encodedLength(int length, int maxFramePayload) {
    int fullFrames = length / maxFramePayload;
    int rest = length % maxFramePayload;
    int lastHeader = rest > 0 || fullFrames == 0 ? headerLength(rest) : 0;
    return length + fullFrames * headerLength(maxFramePayload) + lastHeader;
  }

  private static int headerLength(int payload) {
    return 2 + (payload <= SHORT_LENGTH ? 0 : payload <= 0xFFFF ? 2 : 8) + 4;
  }

  /**
   * Writes the frames carrying {@code message}'s remaining bytes, a message of type {@code opcode}, into {@code wire}
   * from its start; {@code wire} must hold exactly {@link #encodedLength} bytes. Moves neither buffer's position.
   */
  static void encode(int opcode, ByteBuffer message, ByteBuffer wire, int maxFramePayload) {
    int length = message.remaining();
    int at = 0;
    int offset = 0;
    do {
      int payload = Math.min(maxFramePayload, length - offset);
      boolean fin = offset + payload == length;
      wire.put(at++, (byte) ((fin ? 0x80 : 0) | (offset == 0 ? opcode : WebSocketOpcode.CONTINUATION)));
      if (payload <= SHORT_LENGTH) {
        wire.put(at++, (byte) (0x80 | payload));
      } else if (payload <= 0xFFFF) {
        wire.put(at, (byte) (0x80 | 126)).putShort(at + 1, (short) payload);
        at += 3;
      } else {
        wire.put(at, (byte) (0x80 | 127)).putLong(at + 1, payload);
        at += 9;
      }
      int mask = ThreadLocalRandom.current().nextInt();
      wire.putInt(at, mask);
      at += 4;
      FrameMask.apply(message.slice(message.position() + offset, payload), wire.slice(at, payload), mask, 0);
      at += payload;
      offset += payload;
    } while (offset < length);
    if (at != wire.limit()) {
      throw new IllegalArgumentException("a message of " + length + " bytes takes " + at + " on the wire, not " + wire.limit());
    }
  }
}
