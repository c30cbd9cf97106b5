package io.silentmode.agent;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The agent's frames as a server reads them: Netty's own decoder, which insists on masked client frames. */
class MaskingFrameEncoderTest {

  private final EmbeddedChannel agent = new EmbeddedChannel(new MaskingFrameEncoder());
  private final EmbeddedChannel server = new EmbeddedChannel(new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
    .expectMaskedFrames(true).allowMaskMismatch(false).maxFramePayloadLength(2 << 20).build()));

  @Test
  void payloads_of_every_length_class_arrive_unchanged_whatever_their_alignment() {
    Random random = new Random(7);
    for (int length : new int[] {0, 1, 3, 7, 8, 9, 125, 126, 127, 65535, 65536, 65537, (1 << 20) + 3}) {
      byte[] payload = new byte[length + 5];
      random.nextBytes(payload);
      // a slice at an odd offset of a direct buffer, as Vert.x hands over the frames of a chunk message
      ByteBuf direct = Unpooled.directBuffer(payload.length).writeBytes(payload).slice(5, length);
      WebSocketFrame received = roundTrip(new BinaryWebSocketFrame(direct));

      assertInstanceOf(BinaryWebSocketFrame.class, received);
      assertArrayEquals(Arrays.copyOfRange(payload, 5, payload.length), bytes(received.content()),
        "payload of " + length + " bytes");
      received.release();
    }
  }

  @Test
  void every_frame_type_keeps_its_opcode_and_FIN() {
    WebSocketFrame first = roundTrip(new TextWebSocketFrame(false, 0, "{\"type\":"));
    assertInstanceOf(TextWebSocketFrame.class, first);
    assertFalse(release(first).isFinalFragment());
    WebSocketFrame last = roundTrip(new ContinuationWebSocketFrame(true, 0, "1}"));
    assertInstanceOf(ContinuationWebSocketFrame.class, last);
    assertTrue(release(last).isFinalFragment());
    assertInstanceOf(PingWebSocketFrame.class, release(roundTrip(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1})))));
    assertInstanceOf(PongWebSocketFrame.class, release(roundTrip(new PongWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {2})))));
    CloseWebSocketFrame close = (CloseWebSocketFrame) roundTrip(new CloseWebSocketFrame(1000, "bye"));
    assertEquals(1000, close.statusCode());
    assertEquals("bye", close.reasonText());
    close.release();
  }

  @Test
  void each_frame_gets_a_fresh_mask_and_the_bytes_on_the_wire_are_masked() {
    byte[] zeros = new byte[64];
    Set<Integer> masks = new HashSet<>();
    for (int i = 0; i < 20; i++) {
      agent.writeOutbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(zeros)));
      ByteBuf wire = agent.readOutbound();
      assertEquals(0x80, wire.getByte(1) & 0x80, "MASK bit");
      int mask = wire.getInt(2);
      masks.add(mask);
      for (int j = 0; j < zeros.length; j++) { // zeros XOR the key: the key itself, repeated
        assertEquals((byte) (mask >>> 8 * (3 - (j & 3))), wire.getByte(6 + j));
      }
      wire.release();
    }
    assertTrue(masks.size() > 15, "masking keys differ from frame to frame: " + masks);
  }

  @Test
  void a_control_frame_over_125_bytes_is_refused() {
    assertThrows(Exception.class, () -> agent.writeOutbound(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[126]))));
  }

  private WebSocketFrame roundTrip(WebSocketFrame frame) {
    assertTrue(agent.writeOutbound(frame));
    ByteBuf wire = agent.readOutbound();
    server.writeInbound(wire);
    WebSocketFrame received = server.readInbound();
    assertNull(server.readInbound(), "one frame in, one frame out");
    return received;
  }

  private static WebSocketFrame release(WebSocketFrame frame) {
    frame.release();
    return frame;
  }

  private static byte[] bytes(ByteBuf buf) {
    byte[] bytes = new byte[buf.readableBytes()];
    buf.getBytes(buf.readerIndex(), bytes);
    return bytes;
  }
}
