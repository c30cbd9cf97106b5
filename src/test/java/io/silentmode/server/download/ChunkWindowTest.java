package io.silentmode.server.download;

import io.silentmode.server.download.ChunkWindow.Range;
import org.junit.jupiter.api.Test;

import java.util.BitSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChunkWindowTest {

  @Test
  void asksForAWindowAtATimeAndSlidesAsTheLowestChunkIsWritten() {
    ChunkWindow w = new ChunkWindow(10, 4, new BitSet());
    assertEquals(List.of(new Range(0, 4)), w.next());
    assertEquals(List.of(), w.next(), "nothing more until a chunk is written");
    write(w, 1);
    assertEquals(List.of(), w.next(), "chunk 0 still holds the window");
    write(w, 0);
    assertEquals(List.of(new Range(4, 2)), w.next());
    assertEquals(List.of(2, 3, 4, 5), w.awaitedChunks());
  }

  @Test
  void aRateLimitAsksForFewerAndTheWindowSaysItHasRoomForMore() {
    BitSet done = new BitSet();
    done.set(2);
    ChunkWindow w = new ChunkWindow(10, 5, done);
    assertEquals(List.of(new Range(0, 1)), w.next(1));
    assertTrue(w.hasRoom());
    assertEquals(List.of(new Range(1, 1), new Range(3, 1)), w.next(2), "chunk 2 is done: skipped, not counted");
    assertEquals(List.of(new Range(4, 1)), w.next(5), "the window ends at chunk 4");
    assertFalse(w.hasRoom(), "the window is full");
  }

  @Test
  void takesOnlyChunksAskedForAndNotYetReceived() {
    ChunkWindow w = new ChunkWindow(10, 4, new BitSet());
    w.next();
    assertTrue(w.awaited(3));
    assertFalse(w.awaited(4), "outside the window");
    assertFalse(w.awaited(-1));
    assertFalse(w.awaited(Integer.MAX_VALUE));
    w.writing(3);
    assertFalse(w.awaited(3), "a duplicate of a chunk being written");
    w.written(3);
    assertFalse(w.awaited(3), "a duplicate of a chunk written");
  }

  @Test
  void countsAttemptsPerChunkAcrossRetries() {
    ChunkWindow w = new ChunkWindow(3, 2, new BitSet());
    w.next();
    assertEquals(1, w.failed(1));
    assertFalse(w.awaited(1), "waits for its retry");
    assertEquals(List.of(0), w.awaitedChunks());
    assertEquals(2, w.retry(1));
    w.writing(1);
    assertEquals(2, w.failed(1), "a checksum failure of a chunk being written");
    assertEquals(3, w.retry(1));
    write(w, 1);
    write(w, 0);
    assertEquals(List.of(new Range(2, 1)), w.next());
    w.failed(2);
    assertEquals(2, w.retry(2), "a new chunk in a reused slot starts from its own first attempt");
  }

  @Test
  void completesWhenEveryChunkIsWritten() {
    ChunkWindow w = new ChunkWindow(5, 16, new BitSet());
    assertEquals(List.of(new Range(0, 5)), w.next());
    for (int i = 4; i >= 0; i--) {
      assertFalse(w.complete());
      write(w, i);
    }
    assertTrue(w.complete());
    assertEquals(5, w.doneCount());
    assertEquals(List.of(), w.next());
  }

  @Test
  void anEmptyFileIsCompleteAtOnce() {
    assertTrue(new ChunkWindow(0, 16, new BitSet()).complete());
  }

  @Test
  void aDoneSetExportsAndStartsAWindowThatSkipsItsChunks() {
    ChunkWindow first = new ChunkWindow(8, 3, new BitSet());
    first.next();
    write(first, 0);
    write(first, 2);
    BitSet done = first.done();
    assertEquals(BitSet.valueOf(new long[] {0b101}), done);

    ChunkWindow resumed = new ChunkWindow(8, 3, done);
    assertEquals(2, resumed.doneCount());
    assertEquals(List.of(new Range(1, 1), new Range(3, 1)), resumed.next());
    write(resumed, 1);
    assertEquals(List.of(new Range(4, 2)), resumed.next());
  }

  @Test
  void memoryIsThatOfTheWindowWhateverTheChunkCount() {
    ChunkWindow w = new ChunkWindow(Integer.MAX_VALUE, 16, new BitSet());
    assertEquals(List.of(new Range(0, 16)), w.next());
    write(w, 0);
    assertEquals(List.of(new Range(16, 1)), w.next());
    assertTrue(w.done().size() <= 64, "the done set grows with the chunks written, not with the file");
  }

  @Test
  void refusesAChunkInTheWrongState() {
    ChunkWindow w = new ChunkWindow(4, 2, new BitSet());
    w.next();
    assertThrows(IllegalStateException.class, () -> w.written(0), "written before it was being written");
    assertThrows(IllegalStateException.class, () -> w.retry(0), "retried while asked for");
    assertThrows(IllegalStateException.class, () -> w.writing(3), "outside the window");
  }

  private static void write(ChunkWindow w, int index) {
    if (w.awaited(index)) {
      w.writing(index);
    }
    w.written(index);
  }
}
