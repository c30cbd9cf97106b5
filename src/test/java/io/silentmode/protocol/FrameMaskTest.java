package io.silentmode.protocol;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class FrameMaskTest {

  private final Random random = new Random(11);

  @Test
  void matches_a_byte_by_byte_xor_at_every_length_offset_and_alignment() {
    for (int length = 0; length < 600; length += length < 40 ? 1 : 97) {
      for (int offset = 0; offset < 5; offset++) {
        for (int alignment = 0; alignment < 16; alignment++) {
          boolean fromDirect = alignment % 2 == 0; // all four kinds: direct or heap, to direct or heap
          boolean toDirect = alignment % 4 < 2;
          int fromAt = alignment / 4;
          int toAt = 7 - alignment / 2;
          byte[] data = bytes(length);
          int key = random.nextInt();
          ByteBuffer from = buffer(fromDirect, length + fromAt).position(fromAt).put(data).position(fromAt);
          ByteBuffer to = buffer(toDirect, length + toAt).position(toAt);

          FrameMask.apply(from, to, key, offset);

          assertEquals(fromAt, from.position(), "from's position does not move");
          assertEquals(toAt, to.position(), "to's position does not move");
          for (int i = 0; i < length; i++) {
            byte expected = (byte) (data[i] ^ key >>> 8 * (3 - (offset + i) % 4));
            assertEquals(expected, to.get(toAt + i), "byte " + i + " of " + length + " at offset " + offset);
          }
        }
      }
    }
  }

  @Test
  void a_payload_masked_in_pieces_equals_one_masked_whole_and_unmasking_restores_it() {
    byte[] data = bytes(100_003);
    int key = random.nextInt();
    ByteBuffer whole = ByteBuffer.allocateDirect(data.length);
    FrameMask.apply(ByteBuffer.wrap(data), whole, key, 0);

    ByteBuffer pieces = ByteBuffer.allocateDirect(data.length);
    for (int start = 0; start < data.length; ) {
      int end = Math.min(data.length, start + 1 + random.nextInt(9000));
      FrameMask.apply(ByteBuffer.wrap(data, start, end - start), pieces.duplicate().position(start), key, start);
      start = end;
    }
    assertEquals(whole, pieces);

    FrameMask.apply(pieces, pieces, key, 0); // in place
    byte[] restored = new byte[data.length];
    pieces.get(0, restored);
    assertArrayEquals(data, restored);
  }

  private byte[] bytes(int length) {
    byte[] data = new byte[length];
    random.nextBytes(data);
    return data;
  }

  private static ByteBuffer buffer(boolean direct, int capacity) {
    return direct ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity);
  }
}
