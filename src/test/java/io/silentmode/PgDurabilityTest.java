package io.silentmode;

import io.silentmode.pg.PostgresServer;
import io.silentmode.server.ServerConfig;
import org.junit.jupiter.api.AfterEach;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Every scenario of {@link DurabilityTest} (finished jobs, idempotency keys, a running pull, webhook deliveries
 * surviving a restart) with the records in PostgreSQL: a fresh database of the shared test server for each test.
 */
class PgDurabilityTest extends DurabilityTest {

  private final String url = PostgresServer.shared().newDatabase();

  @Override
  void store(ServerConfig config) {
    config.setDatabaseUrl(url);
  }

  @AfterEach
  void nothingWasKeptUnderDataDir() {
    assertFalse(Files.exists(Path.of(fx.config.dataDir(), "jobs")), "job records went to the database");
    assertFalse(Files.exists(Path.of(fx.config.dataDir(), "clients.json")), "known agents went to the database");
  }
}
