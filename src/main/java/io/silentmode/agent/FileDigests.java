package io.silentmode.agent;

import io.silentmode.protocol.ChunkFrame;

import java.util.Arrays;

/**
 * The SHA-256 of a served file and of each of its chunks, computed in one go before the first chunk is sent and
 * kept while the file stays the same version: serving a chunk then costs a read, not a hash. For a file of more
 * than {@link ServedFile#MAX_KEPT_CHUNKS} chunks, {@code chunkSha256s} is null and chunks are hashed as they are
 * sent.
 */
record FileDigests(FileVersion version, int chunkSize, String fileSha256, byte[] chunkSha256s) {

  boolean holdFor(FileVersion other, int otherChunkSize) {
    return version.equals(other) && chunkSize == otherChunkSize;
  }

  /** Chunk {@code index}'s SHA-256, or null when chunk digests are not kept. */
  byte[] chunk(int index) {
    return chunkSha256s == null ? null
      : Arrays.copyOfRange(chunkSha256s, index * ChunkFrame.SHA_SIZE, (index + 1) * ChunkFrame.SHA_SIZE);
  }
}
