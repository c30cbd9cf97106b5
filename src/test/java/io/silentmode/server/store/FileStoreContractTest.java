package io.silentmode.server.store;

import io.silentmode.server.ServerConfig;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The store contract on files under DATA_DIR, and what lies there afterwards. */
class FileStoreContractTest extends StoreContractTest {

  @TempDir
  Path dir;

  @Override
  ServerConfig config() {
    return ServerConfig.defaults().setDataDir(dir.resolve("data").toString());
  }

  @Test
  void one_file_per_job_and_no_temp_file_left_behind(Vertx vertx) throws Exception {
    deploy(vertx);
    String id = "11111111-1111-1111-1111-111111111111";
    save(vertx, job(id, "queued"));
    save(vertx, job(id, "completed"));
    try (Stream<Path> files = Files.list(dir.resolve("data/jobs"))) {
      assertEquals(List.of(id + ".json"), files.map(f -> f.getFileName().toString()).toList());
    }
  }
}
