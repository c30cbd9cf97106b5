package io.silentmode.agent;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.silentmode.protocol.WebSocketOpcode;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The agent's chunk messages as a server reads them: Netty's own decoder, which insists on masked client frames. */
class MaskedMessageTest {

  private static final int MAX_FRAME = 64 * 1024;

  @Test
  void messages_of_every_length_arrive_unchanged_in_frames_of_at_most_the_given_size() {
    Random random = new Random(7);
    for (int length : new int[] {0, 1, 7, 125, 126, 127, 65535, 65536, 65537, 3 * MAX_FRAME, (1 << 20) + 58}) {
      byte[] message = new byte[length + 5];
      random.nextBytes(message);
      // at an odd offset of a direct buffer, as the agent reads a chunk frame behind other bytes
      ByteBuffer source = ByteBuffer.allocateDirect(message.length).put(message).position(5);
      ByteBuffer encoded = ByteBuffer.allocateDirect(MaskedMessage.encodedLength(length, MAX_FRAME));
      MaskedMessage.encode(WebSocketOpcode.BINARY, source, encoded, MAX_FRAME);
      assertEquals(5, source.position(), "the message is not consumed");
      ByteBuf wire = Unpooled.wrappedBuffer(encoded);

      List<WebSocketFrame> frames = decode(wire);
      int expectedFrames = Math.max(1, (length + MAX_FRAME - 1) / MAX_FRAME);
      assertEquals(expectedFrames, frames.size(), "frames for " + length + " bytes");
      CompositeByteBuf received = Unpooled.compositeBuffer();
      for (int i = 0; i < frames.size(); i++) {
        WebSocketFrame frame = frames.get(i);
        assertEquals(i == 0 ? BinaryWebSocketFrame.class : ContinuationWebSocketFrame.class, frame.getClass());
        assertEquals(i == frames.size() - 1, frame.isFinalFragment(), "FIN on the last frame only");
        assertTrue(frame.content().readableBytes() <= MAX_FRAME);
        received.addComponent(true, frame.content());
      }
      byte[] bytes = new byte[received.readableBytes()];
      received.readBytes(bytes);
      assertArrayEquals(Arrays.copyOfRange(message, 5, message.length), bytes, length + " bytes");
      received.release();
    }
  }

  @Test
  void a_text_message_arrives_as_text() {
    byte[] json = "{\"type\":\"PONG\",\"timestamp\":\"2026-11-24T00:00:00Z\"}".getBytes(StandardCharsets.UTF_8);
    ByteBuffer encoded = ByteBuffer.allocate(MaskedMessage.encodedLength(json.length, MAX_FRAME));
    MaskedMessage.encode(WebSocketOpcode.TEXT, ByteBuffer.wrap(json), encoded, MAX_FRAME);

    List<WebSocketFrame> frames = decode(Unpooled.wrappedBuffer(encoded));
    assertEquals(1, frames.size());
    TextWebSocketFrame text = assertInstanceOf(TextWebSocketFrame.class, frames.get(0));
    assertTrue(text.isFinalFragment());
    assertEquals(new String(json, StandardCharsets.UTF_8), text.text());
    text.release();
  }

  @Test
  void each_frame_gets_a_fresh_mask_and_the_bytes_on_the_wire_are_masked() {
    int frames = 20;
    ByteBuffer encoded = ByteBuffer.allocate(MaskedMessage.encodedLength(frames * 200, 200));
    MaskedMessage.encode(WebSocketOpcode.BINARY, ByteBuffer.allocate(frames * 200), encoded, 200);
    ByteBuf wire = Unpooled.wrappedBuffer(encoded);
    Set<Integer> masks = new HashSet<>();
    for (int f = 0; f < frames; f++) {
      int start = f * (2 + 2 + 4 + 200);
      assertEquals(0x80, wire.getByte(start + 1) & 0x80, "MASK bit");
      assertEquals(126, wire.getByte(start + 1) & 0x7F, "a 16-bit length");
      assertEquals(200, wire.getUnsignedShort(start + 2));
      int mask = wire.getInt(start + 4);
      masks.add(mask);
      for (int j = 0; j < 200; j++) { // zeros XOR the key: the key itself, repeated
        assertEquals((byte) (mask >>> 8 * (3 - (j & 3))), wire.getByte(start + 8 + j));
      }
    }
    wire.release();
    assertTrue(masks.size() > 15, "masking keys differ from frame to frame: " + masks);
  }

  @Test
  void a_wire_buffer_of_the_wrong_size_is_refused() {
    assertThrows(IllegalArgumentException.class,
      () -> MaskedMessage.encode(WebSocketOpcode.BINARY, ByteBuffer.allocate(1000), ByteBuffer.allocate(MaskedMessage.encodedLength(1000, 200) + 1), 200));
  }

  private static List<WebSocketFrame> decode(ByteBuf wire) {
    EmbeddedChannel server = new EmbeddedChannel(new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
      .expectMaskedFrames(true).allowMaskMismatch(false).maxFramePayloadLength(MAX_FRAME).build()));
    server.writeInbound(wire);
    List<WebSocketFrame> frames = new ArrayList<>();
    for (WebSocketFrame frame; (frame = server.readInbound()) != null; ) {
      frames.add(frame);
    }
    server.finishAndReleaseAll();
    return frames;
  }
}
