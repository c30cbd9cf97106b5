package io.silentmode.agent;

import java.util.Arrays;

/**
 * The SHA-256 of a served file and of each of its chunks, computed in one go before the first chunk is sent and
 * kept while the file stays the same version: serving a chunk then costs a read, not a hash.
 */
record FileDigests(FileVersion version, int chunkSize, String fileSha256, byte[] chunkSha256s) {

  boolean holdFor(FileVersion other, int otherChunkSize) {
    return version.equals(other) && chunkSize == otherChunkSize;
  }

  byte[] chunk(int index) {
    return Arrays.copyOfRange(chunkSha256s, index * ServedFile.SHA_SIZE, (index + 1) * ServedFile.SHA_SIZE);
  }
}
