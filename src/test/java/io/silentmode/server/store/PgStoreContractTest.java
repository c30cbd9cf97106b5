package io.silentmode.server.store;

import io.silentmode.pg.PostgresServer;
import io.silentmode.server.ServerConfig;

/** The store contract on PostgreSQL: the shared test server, a fresh database for each test. */
class PgStoreContractTest extends StoreContractTest {

  private final String url = PostgresServer.shared().newDatabase();

  @Override
  ServerConfig config() {
    return ServerConfig.defaults().setDatabaseUrl(url).setDatabasePoolSize(4);
  }
}
