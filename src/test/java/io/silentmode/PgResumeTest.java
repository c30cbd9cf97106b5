package io.silentmode;

import io.silentmode.pg.PostgresServer;
import io.silentmode.server.ServerConfig;

/** Every scenario of {@link ResumeTest} with the job records in PostgreSQL, a fresh database for each test. */
class PgResumeTest extends ResumeTest {

  private final String url = PostgresServer.shared().newDatabase();

  @Override
  void store(ServerConfig config) {
    config.setDatabaseUrl(url);
  }
}
