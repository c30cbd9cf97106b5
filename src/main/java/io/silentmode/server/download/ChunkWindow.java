package io.silentmode.server.download;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Which chunks of one pull to ask for, which are awaited, and which are done. Chunks are asked for in order, never
 * further than {@code window} past the lowest chunk not yet done, so a slow disk slows the agent instead of filling
 * memory.
 * <p>
 * Memory is bounded by the window, not by the file: a set of done chunks (which grows only as chunks are written, and
 * which a resumed pull could start from) and one slot of state per chunk of the window, chunk {@code i} in slot
 * {@code i % window}. Only chunks in {@code [lowestNotDone, nextToRequest)} hold a slot, which is never more than
 * {@code window}.
 */
final class ChunkWindow {

  /** What a chunk of the window is waiting for. */
  enum State { REQUESTED, WRITING, BACKOFF }

  /** Consecutive chunks to ask for in one message. */
  record Range(int from, int count) {
  }

  private final int totalChunks;
  private final int window;
  private final BitSet done;
  private final State[] states;
  private final int[] attempts;
  private int lowestNotDone;
  private int nextToRequest;
  private int doneCount;

  /** {@code done}: chunks already on disk (none for a new pull); the window keeps its own copy. */
  ChunkWindow(int totalChunks, int window, BitSet done) {
    if (totalChunks < 0 || window < 1) {
      throw new IllegalArgumentException("totalChunks " + totalChunks + ", window " + window);
    }
    this.totalChunks = totalChunks;
    this.window = Math.min(window, Math.max(1, totalChunks));
    this.done = (BitSet) done.clone();
    this.done.clear(totalChunks, Math.max(totalChunks, done.length()));
    this.doneCount = this.done.cardinality();
    this.states = new State[this.window];
    this.attempts = new int[this.window];
    this.lowestNotDone = this.done.nextClearBit(0);
    this.nextToRequest = lowestNotDone;
  }

  int totalChunks() {
    return totalChunks;
  }

  int doneCount() {
    return doneCount;
  }

  boolean complete() {
    return doneCount == totalChunks;
  }

  /** The done chunks, a copy: what a resumed pull would start from. */
  BitSet done() {
    return (BitSet) done.clone();
  }

  /**
   * The chunks that now fit in the window, marked asked for (first attempt), as runs of consecutive chunks:
   * several only when chunks already done lie between them.
   */
  List<Range> next() {
    return next(Integer.MAX_VALUE);
  }

  /** As {@link #next()}, at most {@code max} chunks: what a rate limit allows now. */
  List<Range> next(int max) {
    List<Range> ranges = new ArrayList<>(1);
    int until = Math.min(totalChunks, lowestNotDone + window);
    int budget = max;
    while (nextToRequest < until && budget > 0) {
      int from = done.nextClearBit(nextToRequest);
      int nextDone = done.nextSetBit(from);
      int to = nextDone < 0 ? until : Math.min(until, nextDone);
      to = (int) Math.min(to, (long) from + budget);
      for (int i = from; i < to; i++) {
        set(i, State.REQUESTED, 1);
      }
      if (to > from) {
        ranges.add(new Range(from, to - from));
        budget -= to - from;
      }
      nextToRequest = Math.max(to, from);
    }
    return ranges;
  }

  /** Whether {@link #next} would ask for a chunk now. */
  boolean hasRoom() {
    int until = Math.min(totalChunks, lowestNotDone + window);
    return nextToRequest < until && done.nextClearBit(nextToRequest) < until;
  }

  /** Whether the chunk was asked for and not yet received: the only chunks a pull takes from its agent. */
  boolean awaited(int index) {
    return state(index) == State.REQUESTED;
  }

  /** The chunk arrived and goes to the disk writer. */
  void writing(int index) {
    require(index, State.REQUESTED);
    states[index % window] = State.WRITING;
  }

  /** The chunk is on disk; the window slides past it once every chunk below is too. */
  void written(int index) {
    require(index, State.WRITING);
    states[index % window] = null;
    done.set(index);
    doneCount++;
    lowestNotDone = Math.min(totalChunks, done.nextClearBit(lowestNotDone));
    nextToRequest = Math.max(nextToRequest, lowestNotDone);
  }

  /** The attempt of this chunk that just failed (late, wrong length, bad checksum); it waits for its retry. */
  int failed(int index) {
    State state = state(index);
    if (state != State.REQUESTED && state != State.WRITING) {
      throw new IllegalStateException("chunk " + index + " is " + state);
    }
    states[index % window] = State.BACKOFF;
    return attempts[index % window];
  }

  /** The chunk is asked for again; returns the number of this new attempt. */
  int retry(int index) {
    require(index, State.BACKOFF);
    set(index, State.REQUESTED, attempts[index % window] + 1);
    return attempts[index % window];
  }

  /** The chunks asked for and not received, lowest first: what a silence of CHUNK_TIMEOUT fails. */
  List<Integer> awaitedChunks() {
    List<Integer> awaited = new ArrayList<>();
    for (int i = lowestNotDone; i < nextToRequest; i++) {
      if (awaited(i)) {
        awaited.add(i);
      }
    }
    return awaited;
  }

  private State state(int index) {
    return index < lowestNotDone || index >= nextToRequest || done.get(index) ? null : states[index % window];
  }

  private void set(int index, State state, int attempt) {
    states[index % window] = state;
    attempts[index % window] = attempt;
  }

  private void require(int index, State expected) {
    State state = state(index);
    if (state != expected) {
      throw new IllegalStateException("chunk " + index + " is " + state + ", not " + expected);
    }
  }
}
