package io.silentmode.server.auth;

import io.silentmode.protocol.ErrorCode;
import io.silentmode.server.Addresses;
import io.silentmode.server.ServerConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;

/**
 * The API tokens: the one owner of the table of token records ({@code id, name, role, hash, createdAt,
 * lastUsedAt}), kept durably through the job store ({@link Addresses#STORE_TOKEN_SAVE}) and in memory for the
 * check every request makes. A revoked token is gone from memory before the revocation is answered; other nodes
 * reload on {@link Addresses#TOKENS_CHANGED}.
 * <p>
 * On a first start (no token stored, no API_TOKEN, authentication on) it issues an {@code admin} token and writes
 * its secret, the only copy, to {@code DATA_DIR/admin.token} (mode 0600), so a fresh server is never open.
 */
public class TokensVerticle extends VerticleBase {

  public static final String ADMIN_TOKEN_FILE = "admin.token";
  static final int MAX_TOKENS = 1000;
  /** lastUsedAt is written back at most this often per token: a check per request must not be a disk write. */
  private static final long LAST_USED_GRANULARITY_MS = 60_000;

  private static final System.Logger log = System.getLogger(TokensVerticle.class.getName());

  private final ServerConfig config;
  private Map<String, JsonObject> tokens = new HashMap<>();

  public TokensVerticle(ServerConfig config) {
    this.config = config;
  }

  /** Where the first admin token's secret of a server with {@code config} is written. */
  public static Path adminTokenFile(ServerConfig config) {
    return Path.of(config.dataDir()).resolve(ADMIN_TOKEN_FILE);
  }

  @Override
  public Future<?> start() {
    EventBus bus = vertx.eventBus();
    return load()
      .compose(v -> tokens.isEmpty() && config.apiToken() == null && !config.allowUnauthenticatedApi()
        ? issueFirstAdmin() : Future.succeededFuture())
      .compose(v -> Future.all(
        // node-local: a token hash never crosses the cluster
        bus.<JsonObject>localConsumer(Addresses.TOKENS_AUTHENTICATE, this::authenticate).completion(),
        bus.<JsonObject>localConsumer(Addresses.TOKENS_CREATE, this::create).completion(),
        bus.<JsonObject>localConsumer(Addresses.TOKENS_LIST, this::list).completion(),
        bus.<JsonObject>localConsumer(Addresses.TOKENS_REVOKE, this::revoke).completion(),
        bus.<JsonObject>consumer(Addresses.TOKENS_CHANGED, m -> load().onFailure(e -> log.log(System.Logger.Level.ERROR,
          "Could not reload the API tokens after " + m.body().encode() + " (" + e.getMessage() + "); a revoked token may "
            + "still work on this node until it restarts"))).completion()));
  }

  private Future<Void> load() {
    return vertx.eventBus().<JsonArray>request(Addresses.STORE_TOKEN_LOAD, new JsonObject()).map(reply -> {
      Map<String, JsonObject> loaded = new HashMap<>();
      reply.body().stream().map(JsonObject.class::cast).forEach(t -> loaded.put(t.getString("id"), t));
      tokens = loaded;
      return null;
    });
  }

  private Future<Void> issueFirstAdmin() {
    TokenSecret.Issued issued = TokenSecret.issue();
    tokens.put(issued.id(), record(issued, "admin", Role.ADMIN));
    String file = adminTokenFile(config).toString();
    return save()
      .compose(v -> vertx.fileSystem().exists(file))
      .compose(exists -> exists ? vertx.fileSystem().delete(file) : Future.succeededFuture())
      .compose(v -> vertx.fileSystem().createFile(file, "rw-------"))
      .compose(v -> vertx.fileSystem().writeFile(file, io.vertx.core.buffer.Buffer.buffer(issued.token() + "\n")))
      .onSuccess(v -> log.log(System.Logger.Level.INFO, "No API token existed: created admin token " + issued.id()
        + "; its secret is in " + file + " (mode 0600, written once). The CLI on this machine reads it; "
        + "create viewer and operator tokens with `silentmode tokens create`, see docs/OPERATIONS.md"));
  }

  private void authenticate(Message<JsonObject> m) {
    JsonObject token = tokens.get(m.body().getString("id"));
    String hash = m.body().getString("hash");
    if (token == null || hash == null || !TokenSecret.same(token.getString("hash"), hash)) {
      m.fail(ErrorCode.UNAUTHORIZED.busCode(), "unknown or revoked token");
      return;
    }
    Instant now = Instant.now();
    String lastUsed = token.getString("lastUsedAt");
    token.put("lastUsedAt", now.toString());
    if (lastUsed == null || Instant.parse(lastUsed).plusMillis(LAST_USED_GRANULARITY_MS).isBefore(now)) {
      save(); // best effort: a lost lastUsedAt is no harm
    }
    m.reply(new Identity(token.getString("id"), token.getString("name"), Role.parse(token.getString("role"))).toJson());
  }

  private void create(Message<JsonObject> m) {
    Role role = Role.parse(m.body().getString("role"));
    if (role == null) {
      m.fail(ErrorCode.VALIDATION_FAILED.busCode(), "role must be viewer, operator or admin");
      return;
    }
    if (tokens.size() >= MAX_TOKENS) {
      m.fail(ErrorCode.VALIDATION_FAILED.busCode(), "there are already " + MAX_TOKENS + " tokens; revoke unused ones first");
      return;
    }
    TokenSecret.Issued issued = TokenSecret.issue();
    JsonObject record = record(issued, m.body().getString("name"), role);
    tokens.put(issued.id(), record);
    save().onSuccess(v -> m.reply(shown(record).put("token", issued.token())))
      .onFailure(e -> {
        tokens.remove(issued.id());
        m.fail(ErrorCode.STORAGE_ERROR.busCode(), "the token could not be stored: " + e.getMessage());
      });
  }

  private void list(Message<JsonObject> m) {
    JsonArray items = new JsonArray();
    tokens.values().stream().sorted(Comparator.comparing((JsonObject t) -> t.getString("createdAt")).thenComparing(t -> t.getString("id")))
      .forEach(t -> items.add(shown(t)));
    m.reply(new JsonObject().put("items", items));
  }

  private void revoke(Message<JsonObject> m) {
    String id = m.body().getString("id");
    JsonObject removed = tokens.remove(id);
    if (removed == null) {
      m.fail(ErrorCode.TOKEN_NOT_FOUND.busCode(), "no token " + id + "; `silentmode tokens list` shows the ids");
      return;
    }
    save().onComplete(done -> {
      // Refused from here on, on this node at once and on the others as soon as they hear of it; if the store
      // failed, a restart would bring the token back, so the operator must hear of that.
      vertx.eventBus().publish(Addresses.TOKENS_CHANGED, new JsonObject().put("revoked", id));
      if (done.succeeded()) {
        m.reply(shown(removed).put("revokedAt", Instant.now().toString()));
      } else {
        m.fail(ErrorCode.STORAGE_ERROR.busCode(), "token " + id + " is refused until the server restarts, but the "
          + "store failed to forget it; revoke it again");
      }
    });
  }

  private Future<Void> save() {
    JsonArray all = new JsonArray();
    tokens.values().forEach(all::add);
    return vertx.eventBus().request(Addresses.STORE_TOKEN_SAVE, new JsonObject().put("tokens", all)).mapEmpty();
  }

  private static JsonObject record(TokenSecret.Issued issued, String name, Role role) {
    return new JsonObject().put("id", issued.id()).put("name", name).put("role", role.wire())
      .put("hash", TokenSecret.hash(issued.token())).put("createdAt", Instant.now().toString()).putNull("lastUsedAt");
  }

  /** A record as the API shows it: never the hash. */
  private static JsonObject shown(JsonObject record) {
    return new JsonObject().put("id", record.getString("id")).put("name", record.getString("name"))
      .put("role", record.getString("role")).put("createdAt", record.getString("createdAt"))
      .put("lastUsedAt", record.getString("lastUsedAt"));
  }
}
