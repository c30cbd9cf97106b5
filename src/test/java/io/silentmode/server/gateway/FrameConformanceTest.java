package io.silentmode.server.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.util.ReferenceCountUtil;
import io.silentmode.protocol.Sha256;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

import static io.silentmode.server.gateway.WireFrame.binary;
import static io.silentmode.server.gateway.WireFrame.close;
import static io.silentmode.server.gateway.WireFrame.continuation;
import static io.silentmode.server.gateway.WireFrame.text;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The gateway reads frames with its own decoder and assembler ({@link UnmaskingFrameDecoder},
 * {@link MessageAssembler}); these tests feed the same byte streams to them and to Netty's own
 * ({@link WebSocket13FrameDecoder} configured as Vert.x configures it for a server, then
 * {@link WebSocketFrameAggregator}) and require the same messages, control frames and verdicts, however the stream
 * is cut into reads. Every random choice comes from a seed named in the failure message.
 * <p>
 * Two differences are by design and left out here: the gateway refuses a message of more than
 * {@code Protocol.MAX_FRAGMENTS} fragments (Netty has no such bound), and after a violation it reads nothing more
 * (Netty's aggregator drops the rest of an oversized message and goes on): the gateway closes the connection at
 * its first violation, so events are compared up to and including the first one.
 */
class FrameConformanceTest {

  /** Frame and message limit alike, as the gateway sets both: over 65536, so that every length class fits. */
  private static final int LIMIT = 70_000;

  @Test
  void mixed_streams_cut_at_every_byte_give_the_same_messages() {
    for (long seed = 1; seed <= 40; seed++) {
      Random random = new Random(seed);
      byte[] stream = WireFrame.concat(randomMessages(random, 6, 300));
      List<String> expected = assertSame(stream, List.of(stream.length), "seed " + seed + ", one read");
      for (int cut = 1; cut < stream.length; cut++) {
        assertEquals(expected, gateway(stream, List.of(cut, stream.length)), "seed " + seed + ", cut at " + cut);
      }
      assertEquals(expected, gateway(stream, everyByte(stream.length)), "seed " + seed + ", byte by byte");
    }
  }

  @Test
  void payloads_at_the_length_boundaries_with_every_kind_of_mask() {
    Random random = new Random(7);
    for (int length : new int[] {0, 1, 124, 125, 126, 127, 65535, 65536, 65537, LIMIT}) {
      for (int mask : new int[] {0, -1, 0x01020304, random.nextInt()}) {
        byte[] payload = bytes(random, length);
        byte[] one = binary(true, payload).mask(mask).wire();
        byte[] split = WireFrame.concat(List.of(text(false, bytes(random, length / 2)).mask(mask),
          WireFrame.ping(bytes(random, 5)).mask(mask),
          continuation(true, bytes(random, length - length / 2)).mask(mask)));
        for (byte[] stream : List.of(one, split)) {
          String label = length + " bytes, mask " + Integer.toHexString(mask);
          List<String> expected = assertSame(stream, List.of(stream.length), label);
          for (int cut = 1; cut < Math.min(stream.length, 20); cut++) { // every cut through the headers
            assertEquals(expected, gateway(stream, List.of(cut, stream.length)), label + ", cut at " + cut);
          }
          assertEquals(expected, gateway(stream, randomReads(random, stream.length, 4093)), label + ", small reads");
        }
      }
    }
  }

  @Test
  void close_handshakes_end_the_stream_alike() {
    List<WireFrame> closes = List.of(close(new byte[0]), close(status(1000)), close(status(1001), "going away"),
      close(status(4999), "private"), close(status(1000), "caf\u00e9"));
    Random random = new Random(11);
    for (WireFrame close : closes) {
      List<WireFrame> frames = new ArrayList<>(randomMessages(random, 2, 100));
      frames.add(close);
      frames.addAll(randomMessages(random, 2, 100)); // never read: nothing follows a close frame
      byte[] stream = WireFrame.concat(frames);
      List<String> expected = assertSame(stream, List.of(stream.length), close.toString());
      assertEquals(expected, gateway(stream, everyByte(stream.length)), close + ", byte by byte");
    }
  }

  @Test
  void invalid_input_gets_the_same_verdict() {
    List<WireFrame> invalid = List.of(
      binary(true, new byte[] {1, 2}).unmasked(),
      binary(true, new byte[] {1}).rsv(4), binary(true, new byte[] {1}).rsv(2), binary(true, new byte[] {1}).rsv(1),
      WireFrame.raw(3, true, new byte[0]), WireFrame.raw(7, true, new byte[0]), WireFrame.raw(0xB, true, new byte[0]),
      WireFrame.raw(0xF, true, new byte[] {1}), WireFrame.raw(9, false, new byte[0]),
      WireFrame.raw(9, true, new byte[126]), WireFrame.raw(8, true, new byte[] {3}),
      close(status(999)), close(status(1004)), close(status(1005)), close(status(1006)), close(status(1015)),
      close(status(5000)), WireFrame.raw(8, true, new byte[] {3, (byte) 0xE8, (byte) 0xC3, 0x28}),
      continuation(true, new byte[] {1}),
      binary(true, new byte[100]).lengthForm(126), binary(true, new byte[1000]).lengthForm(127),
      binary(true, new byte[LIMIT + 1]), binary(true, new byte[0]).declaredLength(-1),
      binary(true, new byte[0]).declaredLength(Long.MAX_VALUE));
    Random random = new Random(13);
    for (WireFrame bad : invalid) {
      List<WireFrame> frames = new ArrayList<>(randomMessages(random, 2, 50));
      frames.add(bad);
      frames.addAll(randomMessages(random, 1, 50));
      byte[] stream = WireFrame.concat(frames);
      List<String> expected = assertSame(stream, List.of(stream.length), bad.toString());
      assertEquals(expected, gateway(stream, randomReads(random, stream.length, 7)), bad + ", small reads");
    }
    byte[] nested = WireFrame.concat(List.of(text(false, new byte[] {'a'}), binary(true, new byte[] {1})));
    assertSame(nested, everyByte(nested.length), "a new message inside a fragmented one");
    byte[] tooLong = WireFrame.concat(List.of(binary(false, new byte[LIMIT / 2]), binary(false, new byte[0]),
      continuation(false, new byte[LIMIT / 2]), continuation(true, new byte[1]), text(true, new byte[] {'x'})));
    assertSame(tooLong, List.of(tooLong.length), "a message over the limit in fragments");
  }

  @Test
  void mutated_streams_get_the_same_verdicts() {
    for (long seed = 1; seed <= 400; seed++) {
      Random random = new Random(seed);
      byte[] stream = WireFrame.concat(randomMessages(random, 4, 200));
      for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
        int at = random.nextInt(Math.min(stream.length, 40)); // mostly headers, where the rules are
        stream[at] ^= (byte) (1 << random.nextInt(8));
      }
      assertSame(stream, randomReads(random, stream.length, 64), "seed " + seed);
    }
  }

  /** Asserts that both readers see the same in {@code stream} read at {@code ends}; returns what they saw. */
  private static List<String> assertSame(byte[] stream, List<Integer> ends, String label) {
    List<String> netty = netty(stream, ends);
    assertEquals(netty, gateway(stream, ends), label);
    return netty;
  }

  /** Random valid messages: text and binary, some fragmented with control frames between the fragments. */
  private static List<WireFrame> randomMessages(Random random, int count, int maxLength) {
    List<WireFrame> frames = new ArrayList<>();
    for (int m = 0; m < count; m++) {
      boolean isText = random.nextBoolean();
      int fragments = 1 + random.nextInt(4);
      for (int f = 0; f < fragments; f++) {
        byte[] payload = bytes(random, random.nextInt(4) == 0 ? 125 + random.nextInt(3) : random.nextInt(maxLength));
        boolean fin = f == fragments - 1;
        WireFrame frame = f > 0 ? continuation(fin, payload) : isText ? text(fin, payload) : binary(fin, payload);
        frames.add(frame.mask(random.nextInt(5) == 0 ? 0 : random.nextInt()));
        if (random.nextInt(3) == 0) {
          byte[] body = bytes(random, random.nextInt(126));
          frames.add((random.nextBoolean() ? WireFrame.ping(body) : WireFrame.pong(body)).mask(random.nextInt()));
        }
      }
    }
    return frames;
  }

  private static List<String> netty(byte[] stream, List<Integer> ends) {
    WebSocketDecoderConfig vertxServer = WebSocketDecoderConfig.newBuilder() // as Http1xServerConnection builds it
      .allowExtensions(false).maxFramePayloadLength(LIMIT).allowMaskMismatch(false).closeOnProtocolViolation(false)
      .build();
    Events events = new Events();
    return events.read(stream, ends, () -> new EmbeddedChannel(new WebSocket13FrameDecoder(vertxServer),
      new WebSocketFrameAggregator(LIMIT), events));
  }

  private static List<String> gateway(byte[] stream, List<Integer> ends) {
    Events events = new Events();
    return events.read(stream, ends, () -> new EmbeddedChannel(new UnmaskingFrameDecoder(LIMIT, new FrameArrays(4)),
      new MessageAssembler(Runnable::run, LIMIT, text -> events.add("text " + text), events::binary,
        reason -> events.add("violation 1009")), events));
  }

  /** What a reader passed on, one line each, up to its first violation. */
  private static final class Events extends ChannelInboundHandlerAdapter {
    private final List<String> seen = new ArrayList<>();

    List<String> read(byte[] stream, List<Integer> ends, Supplier<EmbeddedChannel> pipeline) {
      EmbeddedChannel channel = pipeline.get();
      int start = 0;
      for (int end : ends) {
        channel.writeInbound(Unpooled.copiedBuffer(stream, start, end - start));
        start = end;
      }
      channel.finishAndReleaseAll();
      int violation = seen.indexOf(seen.stream().filter(e -> e.startsWith("violation")).findFirst().orElse(null));
      return violation < 0 ? seen : seen.subList(0, violation + 1);
    }

    void add(String event) {
      seen.add(event);
    }

    void binary(ByteBuf message) {
      byte[] bytes = ByteBufUtil.getBytes(message);
      message.release();
      add("binary " + bytes.length + " " + Sha256.hex(Sha256.digest().digest(bytes)));
    }

    @Override
    public boolean isSharable() {
      return true; // one per reader, but the gateway's assembler holds it too
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof TextWebSocketFrame text) {
        add("text " + text.content().toString(StandardCharsets.UTF_8));
      } else if (msg instanceof BinaryWebSocketFrame binary) {
        binary(binary.content().retain());
      } else if (msg instanceof PingWebSocketFrame ping) {
        add("ping " + ByteBufUtil.hexDump(ping.content()));
      } else if (msg instanceof PongWebSocketFrame pong) {
        add("pong " + ByteBufUtil.hexDump(pong.content()));
      } else if (msg instanceof CloseWebSocketFrame close) {
        add("close " + close.statusCode() + " " + close.reasonText());
      } else {
        add("unexpected " + msg);
      }
      ReferenceCountUtil.release(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (cause instanceof CorruptedWebSocketFrameException corrupt) {
        add("violation " + corrupt.closeStatus().code());
      } else if (cause instanceof TooLongFrameException) {
        add("violation 1009");
      } else {
        add("error " + cause);
      }
    }
  }

  private static List<Integer> everyByte(int length) {
    List<Integer> ends = new ArrayList<>();
    for (int end = 1; end <= length; end++) {
      ends.add(end);
    }
    return ends;
  }

  private static List<Integer> randomReads(Random random, int length, int maxRead) {
    List<Integer> ends = new ArrayList<>();
    for (int end = 0; end < length; ) {
      end += 1 + random.nextInt(Math.min(maxRead, length - end));
      ends.add(end);
    }
    return ends;
  }

  private static byte[] bytes(Random random, int length) {
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    return bytes;
  }

  private static byte[] status(int code) {
    return new byte[] {(byte) (code >> 8), (byte) code};
  }
}
