package io.silentmode.server.gateway;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Frames as a client sends them, masked by Netty's own client encoder, read by the gateway's decoder. */
class UnmaskingFrameDecoderTest {

  private static final int MAX_PAYLOAD = 2 << 20;

  private final Random random = new Random(5);
  private final RecordingAllocator allocator = new RecordingAllocator();
  private final FrameArrays arrays = new FrameArrays(2);
  private final EmbeddedChannel client = new EmbeddedChannel(new WebSocket13FrameEncoder(true));
  private final EmbeddedChannel server = new EmbeddedChannel();
  private final List<ByteBuf> received = new ArrayList<>();

  UnmaskingFrameDecoderTest() {
    server.config().setAllocator(allocator);
    server.pipeline().addLast(new UnmaskingFrameDecoder(MAX_PAYLOAD, arrays));
  }

  @AfterEach
  void nothingIsLeftHeld() {
    server.finishAndReleaseAll();
    client.finishAndReleaseAll();
    for (ByteBuf buf : received) {
      assertEquals(0, buf.refCnt(), "every buffer read is released");
    }
    for (ByteBuf payload : allocator.allocated) {
      assertEquals(0, payload.refCnt(), "every payload allocated is released");
    }
  }

  @Test
  void payloads_of_every_length_class_arrive_unchanged_however_the_reads_cut_them() {
    for (int length : new int[] {0, 1, 3, 7, 8, 9, 125, 126, 127, 65535, 65536, 65537, (1 << 20) + 3}) {
      byte[] payload = bytes(length);
      for (int maxRead : new int[] {1, 5, 4093, Integer.MAX_VALUE}) {
        if (maxRead == 1 && length > 70_000) {
          continue; // byte by byte, a megabyte takes long and proves nothing more
        }
        deliver(wire(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(payload))), maxRead);
        BinaryWebSocketFrame frame = assertInstanceOf(BinaryWebSocketFrame.class, server.readInbound());
        assertArrayEquals(payload, content(frame), length + " bytes in reads of at most " + maxRead);
        assertTrue(frame.isFinalFragment());
        frame.release();
      }
    }
  }

  @Test
  void several_frames_in_one_read_keep_their_types_order_and_FIN() {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    wire.writeBytes(wire(new TextWebSocketFrame(false, 0, "{\"type\":")));
    wire.writeBytes(wire(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2}))));
    wire.writeBytes(wire(new ContinuationWebSocketFrame(false, 0, Unpooled.EMPTY_BUFFER)));
    wire.writeBytes(wire(new ContinuationWebSocketFrame(true, 0, "1}")));
    wire.writeBytes(wire(new PongWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {3}))));
    wire.writeBytes(wire(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {4, 5, 6}))));
    wire.writeBytes(wire(new CloseWebSocketFrame(1000, "bye")));
    deliver(wire.toByteArray());

    TextWebSocketFrame first = assertInstanceOf(TextWebSocketFrame.class, server.readInbound());
    assertEquals("{\"type\":", first.text());
    assertFalse(first.isFinalFragment());
    PingWebSocketFrame ping = assertInstanceOf(PingWebSocketFrame.class, server.readInbound());
    assertArrayEquals(new byte[] {1, 2}, content(ping));
    ContinuationWebSocketFrame empty = assertInstanceOf(ContinuationWebSocketFrame.class, server.readInbound());
    assertEquals(0, empty.content().readableBytes());
    assertFalse(empty.isFinalFragment());
    ContinuationWebSocketFrame last = assertInstanceOf(ContinuationWebSocketFrame.class, server.readInbound());
    assertEquals("1}", last.text());
    assertTrue(last.isFinalFragment());
    PongWebSocketFrame pong = assertInstanceOf(PongWebSocketFrame.class, server.readInbound());
    assertArrayEquals(new byte[] {3}, content(pong));
    BinaryWebSocketFrame binary = assertInstanceOf(BinaryWebSocketFrame.class, server.readInbound());
    assertArrayEquals(new byte[] {4, 5, 6}, content(binary));
    CloseWebSocketFrame close = assertInstanceOf(CloseWebSocketFrame.class, server.readInbound());
    assertEquals(1000, close.statusCode());
    assertEquals("bye", close.reasonText());
    assertNull(server.readInbound());
    for (WebSocketFrame frame : List.of(first, ping, empty, last, pong, binary, close)) {
      frame.release();
    }
  }

  @Test
  void nothing_after_a_close_frame_is_decoded() {
    byte[] close = wire(new CloseWebSocketFrame(1000, "bye"));
    byte[] text = wire(new TextWebSocketFrame("late"));
    deliver(concat(close, text));
    deliver(text);

    assertInstanceOf(CloseWebSocketFrame.class, server.readInbound()).release();
    assertNull(server.readInbound());
  }

  @Test
  void each_protocol_violation_is_raised_with_its_close_status_and_ends_decoding() {
    int masked = 0x80;
    byte[] key = {1, 2, 3, 4};
    List<Violation> violations = List.of(
      new Violation(1002, "must be masked", header(0x82, 0x03), new byte[] {1, 2, 3}),
      new Violation(1002, "RSV bits", header(0xC2, masked | 1), key, new byte[] {1}),
      new Violation(1002, "reserved opcode 3", header(0x83, masked), key),
      new Violation(1002, "reserved opcode 11", header(0x8B, masked), key),
      new Violation(1002, "fragmented control", header(0x09, masked), key),
      new Violation(1002, "over 125", header(0x89, masked | 126), new byte[] {0, 126}, key, new byte[126]),
      new Violation(1002, "1-byte payload", header(0x88, masked | 1), key, new byte[] {0}),
      new Violation(1002, "continuation frame outside", header(0x80, masked), key),
      new Violation(1002, "shortest encoding", header(0x82, masked | 126), new byte[] {0, 125}, key),
      new Violation(1002, "shortest encoding", header(0x82, masked | 127), longBytes(65535), key),
      new Violation(1002, "negative", header(0x82, masked | 127), longBytes(-1), key),
      new Violation(1009, "over the limit", header(0x82, masked | 127), longBytes(MAX_PAYLOAD + 1L), key),
      new Violation(1002, "invalid status 1005", wireClose(1005, new byte[0])),
      new Violation(1007, "not UTF-8", wireClose(1000, new byte[] {(byte) 0xC3, (byte) 0x28})));
    for (Violation violation : violations) {
      EmbeddedChannel channel = new EmbeddedChannel();
      channel.config().setAllocator(allocator);
      channel.pipeline().addLast(new UnmaskingFrameDecoder(MAX_PAYLOAD, arrays));
      ByteBuf in = Unpooled.wrappedBuffer(concat(violation.bytes(), wire(new TextWebSocketFrame("after"))));
      CorruptedWebSocketFrameException raised = assertThrows(CorruptedWebSocketFrameException.class,
        () -> channel.writeInbound(in), violation.message());
      assertEquals(violation.status(), raised.closeStatus().code(), violation.message());
      assertTrue(raised.getMessage().contains(violation.message()), raised.getMessage());
      assertEquals(0, in.refCnt(), "the read is released");
      assertNull(channel.readInbound(), "nothing is decoded after " + violation.message());
      channel.writeInbound(Unpooled.wrappedBuffer(wire(new TextWebSocketFrame("later"))));
      assertNull(channel.readInbound(), "nothing is decoded after " + violation.message());
      channel.finishAndReleaseAll();
    }
  }

  @Test
  void the_limits_themselves_are_accepted() {
    EmbeddedChannel channel = new EmbeddedChannel(new UnmaskingFrameDecoder(1000, arrays));
    byte[] largest = bytes(1000);
    channel.writeInbound(Unpooled.wrappedBuffer(concat(
      wire(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(largest))),
      wire(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[125]))),
      wireClose(1000, new byte[0]))));

    BinaryWebSocketFrame binary = assertInstanceOf(BinaryWebSocketFrame.class, channel.readInbound());
    assertArrayEquals(largest, content(binary));
    PingWebSocketFrame ping = assertInstanceOf(PingWebSocketFrame.class, channel.readInbound());
    assertEquals(125, ping.content().readableBytes());
    CloseWebSocketFrame close = assertInstanceOf(CloseWebSocketFrame.class, channel.readInbound());
    assertEquals(1000, close.statusCode());
    for (WebSocketFrame frame : List.of(binary, ping, close)) {
      frame.release();
    }
    CorruptedWebSocketFrameException tooBig = assertThrows(CorruptedWebSocketFrameException.class,
      () -> new EmbeddedChannel(new UnmaskingFrameDecoder(1000, arrays))
        .writeInbound(Unpooled.wrappedBuffer(wire(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(bytes(1001)))))));
    assertEquals(1009, tooBig.closeStatus().code());
  }

  /** Agents send chunk messages in 64 KiB frames: their payloads go to recycled arrays, not Netty's pool. */
  @Test
  void the_array_of_a_64_KiB_payload_serves_again_once_its_frame_is_released() {
    byte[] first = bytes(FrameArrays.SIZE);
    byte[] second = bytes(FrameArrays.SIZE);
    deliver(wire(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(first))), 4093);
    BinaryWebSocketFrame one = assertInstanceOf(BinaryWebSocketFrame.class, server.readInbound());
    assertArrayEquals(first, content(one));
    byte[] array = one.content().array();
    one.release();
    assertEquals(1, arrays.kept());

    deliver(wire(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(second))), 4093);
    BinaryWebSocketFrame two = assertInstanceOf(BinaryWebSocketFrame.class, server.readInbound());
    assertSame(array, two.content().array(), "the array came back");
    assertArrayEquals(second, content(two));
    assertEquals(0, arrays.kept());
    two.release();
    assertEquals(List.of(), allocator.allocated, "nothing came from the channel's allocator");
  }

  @Test
  void no_more_arrays_are_kept_than_asked_for() {
    List<ByteBuf> taken = List.of(arrays.take(), arrays.take(), arrays.take());
    taken.forEach(ByteBuf::release);
    assertEquals(2, arrays.kept());
  }

  @Test
  void a_header_alone_commits_no_more_than_64_KiB_and_a_larger_payload_grows_as_it_arrives() {
    byte[] payload = bytes(1 << 20);
    byte[] frame = wire(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(payload)));
    deliver(Arrays.copyOf(frame, 14));
    assertEquals(1, allocator.allocated.size());
    assertTrue(allocator.allocated.get(0).capacity() <= 64 * 1024, "capacity " + allocator.allocated.get(0).capacity());

    deliver(Arrays.copyOfRange(frame, 14, frame.length), 100_000);
    BinaryWebSocketFrame received = assertInstanceOf(BinaryWebSocketFrame.class, server.readInbound());
    assertArrayEquals(payload, content(received));
    received.release();
  }

  @Test
  void a_payload_that_cannot_be_allocated_ends_decoding_and_loses_no_buffer() {
    allocator.failing = true;
    byte[] frame = wire(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(bytes(100))));
    assertThrows(OutOfMemoryError.class, () -> deliver(frame));
    allocator.failing = false;

    deliver(wire(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1}))));
    assertNull(server.readInbound(), "the frame boundaries are lost: nothing more is decoded");
  }

  @Test
  void a_new_message_inside_a_fragmented_one_is_a_violation() {
    deliver(wire(new BinaryWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[] {1}))));
    server.<WebSocketFrame>readInbound().release();
    CorruptedWebSocketFrameException raised = assertThrows(CorruptedWebSocketFrameException.class,
      () -> server.writeInbound(Unpooled.wrappedBuffer(wire(new TextWebSocketFrame("x")))));
    assertTrue(raised.getMessage().contains("inside a fragmented message"), raised.getMessage());
  }

  @Test
  void a_payload_cut_off_by_the_connection_ending_is_released() {
    byte[] frame = wire(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(bytes(100_000))));
    deliver(Arrays.copyOf(frame, 50_000), 4096);
    assertNull(server.readInbound());
    assertEquals(1, allocator.allocated.size(), "the payload buffer");
    assertEquals(1, allocator.allocated.get(0).refCnt());
    server.close();
    assertEquals(0, allocator.allocated.get(0).refCnt());
  }

  @Test
  void a_read_that_completes_no_frame_asks_for_the_next_when_the_socket_does_not_read_by_itself() {
    int[] reads = {0};
    server.pipeline().addFirst(new ChannelOutboundHandlerAdapter() {
      @Override
      public void read(ChannelHandlerContext ctx) {
        reads[0]++;
        ctx.read();
      }
    });
    server.config().setAutoRead(false);
    byte[] frame = wire(new TextWebSocketFrame("hello"));
    reads[0] = 0;
    deliver(Arrays.copyOf(frame, 3));
    assertEquals(1, reads[0], "a partial frame: read on");
    deliver(Arrays.copyOfRange(frame, 3, frame.length));
    assertEquals(1, reads[0], "a whole frame: whoever reads it decides");
    TextWebSocketFrame hello = assertInstanceOf(TextWebSocketFrame.class, server.readInbound());
    assertEquals("hello", hello.text());
    hello.release();
    server.pipeline().fireChannelReadComplete();
    assertEquals(1, reads[0], "no bytes came: nothing to read on for");
  }

  private record Violation(int status, String message, byte[] bytes) {
    Violation(int status, String message, byte[]... parts) {
      this(status, message, concat(parts));
    }
  }

  /** Hands {@code wire} to the server in one read. */
  private void deliver(byte[] wire) {
    read(wire, 0, wire.length);
  }

  /** Hands {@code wire} to the server in reads of random sizes up to {@code maxRead} bytes, each in its own buffer. */
  private void deliver(byte[] wire, int maxRead) {
    for (int start = 0; start < wire.length; ) {
      int end = start + 1 + random.nextInt(Math.min(maxRead, wire.length - start));
      read(wire, start, end);
      start = end;
    }
  }

  private void read(byte[] wire, int start, int end) {
    ByteBuf read = Unpooled.directBuffer(end - start).writeBytes(wire, start, end - start);
    received.add(read);
    server.writeInbound(read);
  }

  private byte[] wire(WebSocketFrame frame) {
    client.writeOutbound(frame);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (ByteBuf buf; (buf = client.readOutbound()) != null; ) {
      byte[] bytes = new byte[buf.readableBytes()];
      buf.readBytes(bytes);
      buf.release();
      out.writeBytes(bytes);
    }
    return out.toByteArray();
  }

  /** A masked close frame with any status and reason bytes, which Netty's frame classes would not build. */
  private static byte[] wireClose(int status, byte[] reason) {
    byte[] body = concat(new byte[] {(byte) (status >> 8), (byte) status}, reason);
    byte[] key = {9, 8, 7, 6};
    for (int i = 0; i < body.length; i++) {
      body[i] ^= key[i % 4];
    }
    return concat(header(0x88, 0x80 | body.length), key, body);
  }

  private byte[] bytes(int length) {
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    return bytes;
  }

  private static byte[] header(int first, int second) {
    return new byte[] {(byte) first, (byte) second};
  }

  private static byte[] longBytes(long value) {
    byte[] bytes = new byte[8];
    for (int i = 0; i < 8; i++) {
      bytes[i] = (byte) (value >>> 8 * (7 - i));
    }
    return bytes;
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  private static byte[] content(WebSocketFrame frame) {
    ByteBuf data = frame.content();
    byte[] bytes = new byte[data.readableBytes()];
    data.getBytes(data.readerIndex(), bytes);
    return bytes;
  }

  /** Heap buffers, as the decoder asks its channel for them, each one kept to check that it was released. */
  private static final class RecordingAllocator extends AbstractByteBufAllocator {
    final List<ByteBuf> allocated = new ArrayList<>();
    boolean failing;

    RecordingAllocator() {
      super(true);
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
      if (failing) {
        throw new OutOfMemoryError("no heap left (a test)");
      }
      ByteBuf buf = Unpooled.buffer(initialCapacity, maxCapacity);
      allocated.add(buf);
      return buf;
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
      throw new AssertionError("payloads go to heap memory, where MessageDigest hashes them without a copy");
    }

    @Override
    public boolean isDirectBufferPooled() {
      return false;
    }
  }
}
