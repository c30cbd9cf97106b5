package io.silentmode.server.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.silentmode.protocol.FrameMask;
import io.silentmode.protocol.WebSocketOpcode;

import java.nio.charset.StandardCharsets;

import static io.silentmode.protocol.WebSocketOpcode.BINARY;
import static io.silentmode.protocol.WebSocketOpcode.CLOSE;
import static io.silentmode.protocol.WebSocketOpcode.CONTINUATION;
import static io.silentmode.protocol.WebSocketOpcode.MAX_CONTROL_PAYLOAD;
import static io.silentmode.protocol.WebSocketOpcode.PING;
import static io.silentmode.protocol.WebSocketOpcode.PONG;
import static io.silentmode.protocol.WebSocketOpcode.TEXT;

/**
 * The gateway's WebSocket frame decoder, in place of Netty's {@code WebSocket13FrameDecoder}: RFC 6455 frames from
 * a client, so masked, without extensions (the gateway offers none). Netty's decoder gathers a frame's bytes in a
 * buffer it grows by copying, copies the payload out of it, then unmasks that in another pass: four passes over
 * every byte of a chunk, 0.5 s of the event loop per GiB. Here each read's bytes are unmasked as they are copied
 * into the payload's buffer: one pass. That buffer is allocated once for a frame of up to 64 KiB, the size agents
 * send; a larger one grows as its bytes arrive, so that a header alone does not commit a megabyte. It is heap
 * memory, not direct (a recycled array for a 64 KiB frame, see {@link FrameArrays}; Netty's pool otherwise): the
 * disk writer hashes each payload byte twice, and {@code MessageDigest} hashes an array where it lies but copies
 * direct memory into an array of its own first.
 * <p>
 * The rules are Netty's: masked frames only, RSV bits clear, known opcodes, control frames final and at most 125
 * bytes, continuations only inside a fragmented message and nothing else there, lengths in their shortest encoding
 * and at most {@code maxPayload}, a valid close frame body. A violation is raised as Netty raises it, as a
 * {@link CorruptedWebSocketFrameException} down the pipeline to Vert.x, which hands it to the socket's exception
 * handler; like everything after a close frame, the bytes that follow are dropped.
 * <p>
 * It takes over from Netty's decoder right after the opening handshake, in the same task on the event loop, before
 * the client may send a frame (RFC 6455 section 4.1: a client waits for the server's handshake response). A client
 * that sends frames earlier anyway may leave it starting mid-frame; it then reads garbage and closes.
 */
final class UnmaskingFrameDecoder extends ChannelInboundHandlerAdapter implements WebSocketFrameDecoder {

  private static final int MAX_HEADER = 2 + 8 + 4;
  /** Allocated up front for a payload; a larger one grows as it arrives. */
  private static final int INITIAL_PAYLOAD = 64 * 1024;

  private final int maxPayload;
  private final FrameArrays arrays;
  /** The header bytes of the next frame read so far. */
  private final ByteBuf header = Unpooled.buffer(MAX_HEADER, MAX_HEADER);
  private boolean fin;
  private int opcode;
  private int key;
  /** The payload of the frame being read, with its length as its maximum capacity; null while reading a header. */
  private ByteBuf payload;
  private boolean insideFragmentedMessage;
  /** After a close frame, a violation or an error: whatever follows is dropped. */
  private boolean done;
  /** Whether bytes came in, and whether a frame went out, since the last read completed. */
  private boolean read;
  private boolean produced;

  UnmaskingFrameDecoder(int maxPayload, FrameArrays arrays) {
    this.maxPayload = maxPayload;
    this.arrays = arrays;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf in)) {
      ctx.fireChannelRead(msg);
      return;
    }
    read = true;
    try {
      while (in.isReadable() && !done) {
        if (payload == null) {
          readHeader(ctx, in);
        } else {
          readPayload(ctx, in);
        }
      }
    } catch (Throwable e) { // a violation, or an allocation that failed: the frame boundaries are lost either way
      done = true;
      releasePayload();
      ctx.fireExceptionCaught(e);
    } finally {
      in.release();
    }
  }

  private void readHeader(ChannelHandlerContext ctx, ByteBuf in) {
    if (header.readableBytes() < 2) {
      header.writeBytes(in, Math.min(2 - header.readableBytes(), in.readableBytes()));
      if (header.readableBytes() < 2) {
        return;
      }
      checkFirstTwoBytes();
    }
    int length1 = header.getByte(1) & 0x7F;
    int headerLength = 2 + (length1 == 126 ? 2 : length1 == 127 ? 8 : 0) + 4;
    header.writeBytes(in, Math.min(headerLength - header.readableBytes(), in.readableBytes()));
    if (header.readableBytes() < headerLength) {
      return;
    }
    long length = payloadLength(length1);
    key = header.getInt(headerLength - 4);
    header.clear();
    if (!WebSocketOpcode.isControl(opcode)) {
      insideFragmentedMessage = !fin;
    }
    if (length == 0) {
      emit(ctx, Unpooled.EMPTY_BUFFER);
    } else if (length == FrameArrays.SIZE) {
      payload = arrays.take();
    } else {
      payload = ctx.alloc().heapBuffer((int) Math.min(length, INITIAL_PAYLOAD), (int) length);
    }
  }

  private void checkFirstTwoBytes() {
    int first = header.getByte(0);
    int second = header.getByte(1);
    fin = (first & 0x80) != 0;
    opcode = first & 0x0F;
    int length1 = second & 0x7F;
    if ((first & 0x70) != 0) {
      throw violation("RSV bits set, but no extension was negotiated");
    }
    if ((second & 0x80) == 0) {
      throw violation("a client frame must be masked");
    }
    if (WebSocketOpcode.isControl(opcode)) {
      if (opcode != CLOSE && opcode != PING && opcode != PONG) {
        throw violation("control frame with reserved opcode " + opcode);
      }
      if (!fin) {
        throw violation("fragmented control frame");
      }
      if (length1 > MAX_CONTROL_PAYLOAD) {
        throw violation("control frame with a payload over 125 bytes");
      }
      if (opcode == CLOSE && length1 == 1) {
        throw violation("close frame with a 1-byte payload");
      }
    } else if (opcode != CONTINUATION && opcode != TEXT && opcode != BINARY) {
      throw violation("data frame with reserved opcode " + opcode);
    } else if (opcode == CONTINUATION && !insideFragmentedMessage) {
      throw violation("continuation frame outside a fragmented message");
    } else if (opcode != CONTINUATION && insideFragmentedMessage) {
      throw violation("new data frame inside a fragmented message");
    }
  }

  private long payloadLength(int length1) {
    long length;
    if (length1 == 126) {
      length = header.getUnsignedShort(2);
      if (length < 126) {
        throw violation("frame length not in its shortest encoding");
      }
    } else if (length1 == 127) {
      length = header.getLong(2);
      if (length < 0) {
        throw violation("negative frame length");
      }
      if (length < 65536) {
        throw violation("frame length not in its shortest encoding");
      }
    } else {
      length = length1;
    }
    if (length > maxPayload) {
      throw new CorruptedWebSocketFrameException(WebSocketCloseStatus.MESSAGE_TOO_BIG,
        "frame of " + length + " bytes, over the limit of " + maxPayload);
    }
    return length;
  }

  private void readPayload(ChannelHandlerContext ctx, ByteBuf in) {
    int offset = payload.writerIndex();
    int count = Math.min(in.readableBytes(), payload.maxWritableBytes());
    payload.ensureWritable(count);
    FrameMask.apply(in.nioBuffer(in.readerIndex(), count), payload.nioBuffer(offset, count), key, offset);
    in.skipBytes(count);
    payload.writerIndex(offset + count);
    if (payload.maxWritableBytes() == 0) {
      ByteBuf complete = payload;
      payload = null;
      emit(ctx, complete);
    }
  }

  /** Passes the frame on, with {@code data}. */
  private void emit(ChannelHandlerContext ctx, ByteBuf data) {
    if (opcode == CLOSE) {
      checkCloseBody(data);
    }
    produced = true;
    ctx.fireChannelRead(frame(opcode, fin, data));
  }

  /** A frame of {@code opcode} carrying {@code data}, without extension bits; control frames are always final. */
  private static WebSocketFrame frame(int opcode, boolean fin, ByteBuf data) {
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

  /** Ends decoding: nothing follows a close frame. Releases {@code data} if its body is invalid. */
  private void checkCloseBody(ByteBuf data) {
    done = true;
    if (data.isReadable()) { // two bytes at least (checked with the header): a status code, then a UTF-8 reason
      int status = data.getUnsignedShort(data.readerIndex());
      if (!WebSocketCloseStatus.isValidStatusCode(status)) {
        data.release();
        throw violation("close frame with invalid status " + status);
      }
      if (!ByteBufUtil.isText(data, data.readerIndex() + 2, data.readableBytes() - 2, StandardCharsets.UTF_8)) {
        data.release();
        throw new CorruptedWebSocketFrameException(WebSocketCloseStatus.INVALID_PAYLOAD_DATA,
          "close frame whose reason is not UTF-8");
      }
    }
  }

  private static CorruptedWebSocketFrameException violation(String reason) {
    return new CorruptedWebSocketFrameException(WebSocketCloseStatus.PROTOCOL_ERROR, reason);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    // As Netty's decoders do: a read that brought bytes but completed no frame asks for more when the socket does
    // not read by itself.
    if (read && !produced && !ctx.channel().config().isAutoRead()) {
      ctx.read();
    }
    read = false;
    produced = false;
    ctx.fireChannelReadComplete();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    releasePayload(); // the connection ended mid-frame
    header.release();
  }

  private void releasePayload() {
    if (payload != null) {
      payload.release();
      payload = null;
    }
  }
}
