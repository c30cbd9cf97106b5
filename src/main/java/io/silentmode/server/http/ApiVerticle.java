package io.silentmode.server.http;

import io.silentmode.protocol.ErrorCode;
import io.silentmode.server.Addresses;
import io.silentmode.server.ServerConfig;
import io.silentmode.server.cluster.Membership;
import io.silentmode.server.metrics.Metrics;
import io.silentmode.server.tls.ServerTls;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.ValidatedRequest;

import java.time.Instant;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The REST API, routed and validated from {@code openapi.yaml}: each operation is bound by its operationId and
 * turned into an event-bus request to the registry or the orchestrator. It holds no state of its own.
 */
public class ApiVerticle extends VerticleBase {

  public static final String PREFIX = "/api/v1";

  private final ServerConfig config;
  private final ServerTls tls;
  private final Handler<RoutingContext> metrics;
  private final Membership membership;
  private HttpServer server;
  private LinkSigner links;
  private Operations operations;
  private CallerLimits limits;

  /** {@code metrics} scrapes Prometheus text at {@code /metrics}, or is null when the server runs without metrics. */
  public ApiVerticle(ServerConfig config, ServerTls tls, Handler<RoutingContext> metrics, Membership membership) {
    this.membership = membership;
    this.config = config;
    this.tls = tls;
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    links = new LinkSigner(config.linkSecret());
    return Contract.load(vertx)
      .compose(contract -> {
        Router root = Router.router(vertx);
        operations = new Operations(contract.openapi(), PREFIX);
        root.route().handler(new AuditTrail(vertx)::handle);
        root.route().handler(ApiVerticle::normalisePath);
        if (metrics != null) {
          root.get(Metrics.PATH).handler(metrics);
        }
        Console.mount(root);
        BearerToken.check(contract.openapi());
        limits = new CallerLimits(config.apiRateLimit(), config.maxEventStreams());
        root.route(PREFIX + "/*").handler(operations::checkBody);
        // Read whole (at most MAX_BODY_SIZE, else 413) before the token check, which asks the token table over the bus.
        root.route(PREFIX + "/*").handler(BodyHandler.create(false).setBodyLimit(config.maxBodySize()));
        root.route(PREFIX + "/*").subRouter(api(contract.openapi(), contract.text()));
        onFailures(root);
        RequestHeadDeadline deadline = new RequestHeadDeadline(vertx, config.requestHeaderTimeout());
        HttpServerOptions options = new HttpServerOptions().setHost(config.host()).setCompressionSupported(false);
        // A revoked token's open event streams are cut (CallerLimits), on every node.
        Future<Void> revocations = vertx.eventBus().<JsonObject>consumer(Addresses.TOKENS_CHANGED,
          m -> limits.closeStreams(CallerLimits.byTokenId(m.body().getString("revoked")))).completion();
        return revocations.compose(v -> vertx.createHttpServer(tls.configure(RequestHeadDeadline.http1(options)))
          .connectionHandler(deadline::opened)
          .requestHandler(request -> {
            deadline.requested(request);
            root.handle(request);
          })
          .listen(config.port()));
      })
      .onSuccess(s -> server = tls.serve(s));
  }

  /** The port the API listens on, as bound. */
  public int actualPort() {
    return server.actualPort();
  }

  private Router api(OpenAPIContract contract, Buffer contractText) {
    RouterBuilder rb = RouterBuilder.create(vertx, contract, RequestExtractor.withBodyHandler());
    rb.security(BearerToken.SCHEME).httpHandler(new BearerToken(vertx, config, limits));
    new TokenRoutes(vertx).bind(rb);
    EventStream events = new EventStream(vertx, config.sseHeartbeat());
    Content content = new Content(vertx);
    rb.getRoute("getHealth").addHandler(Readiness.liveness(vertx));
    rb.getRoute("getReadiness").addHandler(Readiness.readiness(vertx, config, membership));
    rb.getRoute("getContract").addHandler(rc -> rc.response().putHeader("Content-Type", "application/yaml").end(contractText));
    // Today's single API_TOKEN gives full control to whoever passed the check.
    rb.getRoute("listClients").addHandler(this::listClients);
    rb.getRoute("getClient").addHandler(rc -> ask(rc, Addresses.REGISTRY_GET, new JsonObject().put("clientId", path(rc, "clientId")),
      reply -> json(rc, 200, (JsonObject) reply.body())));
    new AgentAdmin(vertx).mount(rb);
    rb.getRoute("createDownload").addHandler(this::createDownload);
    rb.getRoute("listDownloads").addHandler(this::listDownloads);
    rb.getRoute("getDownload").addHandler(rc -> answerJob(rc, Addresses.DOWNLOADS_GET));
    rb.getRoute("cancelDownload").addHandler(rc -> answerJob(rc, Addresses.DOWNLOADS_CANCEL));
    rb.getRoute("pauseDownload").addHandler(rc -> answerJob(rc, Addresses.DOWNLOADS_PAUSE));
    rb.getRoute("resumeDownload").addHandler(rc -> answerJob(rc, Addresses.DOWNLOADS_RESUME));
    rb.getRoute("retryDownload").addHandler(rc -> withRoom(config, rc, () -> ask(rc, Addresses.DOWNLOADS_RETRY, requestId(rc),
      reply -> accepted(rc, job(reply)))));
    rb.getRoute("streamDownloadEvents").addHandler(rc -> limits.stream(rc, () -> events.handle(rc, path(rc, "requestId"))));
    rb.getRoute("getDownloadContent").addHandler(rc -> {
      if (rc.get(BearerToken.IDENTITY) == null && linkRefused(rc)) {
        return;
      }
      ask(rc, Addresses.DOWNLOADS_GET, requestId(rc), reply -> content.send(rc, job(reply)));
    });
    rb.getRoute("createDownloadLink").addHandler(rc -> ask(rc, Addresses.DOWNLOADS_GET, requestId(rc),
      reply -> link(rc, job(reply))));
    new BatchRoutes(config, events, limits).mount(rb);
    Router api = rb.createRouter();
    onFailures(api);
    return api;
  }

  private void createDownload(RoutingContext rc) {
    JsonObject body = validated(rc).getBody().getJsonObject();
    String callbackUrl = body.getString("callbackUrl");
    String refusal = callbackUrl == null ? null : CallbackUrls.refusal(callbackUrl, config.allowPrivateCallbacks());
    if (refusal != null) {
      Problems.send(rc, ErrorCode.VALIDATION_FAILED, "callbackUrl " + refusal,
        new JsonArray().add(new JsonObject().put("field", "callbackUrl").put("message", refusal)));
      return;
    }
    JsonObject start = new JsonObject()
      .put("clientId", body.getString("clientId"))
      .put("path", body.getString("path"))
      .put("callbackUrl", callbackUrl)
      .put("priority", body.getString("priority"))
      .put("idempotencyKey", rc.request().getHeader("Idempotency-Key"));
    withRoom(config, rc, () -> ask(rc, Addresses.DOWNLOADS_START, start, reply -> {
      if ("true".equals(reply.headers().get("replayed"))) {
        rc.response().putHeader("Idempotent-Replayed", "true");
      }
      accepted(rc, job(reply));
    }));
  }

  /** A pull is refused up front (507) when DOWNLOAD_DIR lacks MIN_FREE_SPACE, as readiness reports, not failed later. */
  static void withRoom(ServerConfig config, RoutingContext rc, Runnable then) {
    Readiness.hasRoom(rc.vertx(), config).onSuccess(room -> {
      if (room) {
        then.run();
      } else {
        Problems.send(rc, ErrorCode.INSUFFICIENT_STORAGE, "DOWNLOAD_DIR has less free space than MIN_FREE_SPACE ("
          + config.minFreeSpace() + " bytes); free some space there, then retry", null);
      }
    });
  }

  private void listDownloads(RoutingContext rc) {
    Map<String, RequestParameter> query = validated(rc).getQuery();
    JsonObject q = page(query)
      .put("clientId", string(query.get("clientId")))
      .put("status", string(query.get("status")))
      .put("batchId", string(query.get("batchId")));
    ask(rc, Addresses.DOWNLOADS_LIST, q, reply -> json(rc, 200, (JsonObject) reply.body()));
  }

  private void listClients(RoutingContext rc) {
    Map<String, RequestParameter> query = validated(rc).getQuery();
    RequestParameter connected = query.get("connected");
    JsonObject q = page(query).put("connected", connected == null || connected.isNull() ? null : connected.getBoolean())
      .put("selector", string(query.get("selector"))).put("enrollment", string(query.get("enrollment")));
    ask(rc, Addresses.REGISTRY_LIST, q, reply -> json(rc, 200, (JsonObject) reply.body()));
  }

  /** {@code limit} and {@code cursor}, as every list takes them. */
  static JsonObject page(Map<String, RequestParameter> query) {
    return new JsonObject()
      .put("cursor", string(query.get("cursor")))
      .put("limit", query.get("limit") == null ? 50 : query.get("limit").getInteger(50));
  }

  private void link(RoutingContext rc, JsonObject job) {
    if (!"completed".equals(job.getString("status"))) {
      Problems.send(rc, ErrorCode.DOWNLOAD_NOT_COMPLETED, "pull " + job.getString("requestId") + " is "
        + job.getString("status") + "; links exist for completed pulls only", null);
      return;
    }
    long expires = Instant.now().plusMillis(config.linkTtl()).getEpochSecond();
    String path = PREFIX + "/downloads/" + job.getString("requestId") + "/content";
    String base = config.publicUrl() != null ? config.publicUrl().replaceAll("/+$", "")
      : rc.request().scheme() + "://" + authority(rc);
    String url = base + path + "?expires=" + expires + "&signature=" + links.sign("GET", path, expires);
    json(rc, 200, new JsonObject().put("url", url).put("expiresAt", Instant.ofEpochSecond(expires).toString()));
  }

  /** Host and port the client used: the Host header in HTTP/1.1, {@code :authority} in HTTP/2. */
  private static String authority(RoutingContext rc) {
    HostAndPort authority = rc.request().authority();
    if (authority == null) {
      return "localhost:" + rc.request().localAddress().port();
    }
    return authority.port() < 0 ? authority.host() : authority.host() + ":" + authority.port();
  }

  /**
   * A request that reached the content without a token carries a link signature (see {@link BearerToken}) and
   * stands on it alone: tampered is 403, expired is 410.
   */
  private boolean linkRefused(RoutingContext rc) {
    String signature = rc.queryParams().get("signature");
    String expires = rc.queryParams().get("expires");
    long expiry;
    try {
      expiry = Long.parseLong(expires);
    } catch (NumberFormatException e) {
      expiry = -1;
    }
    if (signature == null || expiry < 0 || !links.verify("GET", rc.normalizedPath(), expiry, signature)) {
      Problems.send(rc, ErrorCode.LINK_INVALID, "the link's signature does not match; ask for a new link", null);
      return true;
    }
    if (expiry < Instant.now().getEpochSecond()) {
      Problems.send(rc, ErrorCode.LINK_EXPIRED, "the link expired at " + Instant.ofEpochSecond(expiry) + "; ask for a new one", null);
      return true;
    }
    return false;
  }

  /**
   * Routes every request by its path in normal form (RFC 3986: dot-segments removed, escaped unreserved characters
   * decoded, doubled slashes merged), so the route matched, its token check and the path parameters its handlers
   * read all see the same path: {@code /health/%2e%2e/clients} is {@code /clients}, and needs the token.
   */
  private static void normalisePath(RoutingContext rc) {
    String normal = rc.normalizedPath();
    if (normal.equals(rc.request().path())) {
      rc.next();
    } else {
      String query = rc.request().query();
      rc.reroute(query == null ? normal : normal + "?" + query);
    }
  }

  // ---- helpers ------------------------------------------------------------------------------------------

  /** Asks a verticle; its failure becomes the problem+json answer. */
  static <T> void ask(RoutingContext rc, String address, JsonObject body, Consumer<Message<T>> onReply) {
    rc.vertx().eventBus().<T>request(address, body).onSuccess(onReply::accept).onFailure(e -> Problems.send(rc, e));
  }

  /** Sends the path's {@code requestId} to {@code address} and answers 200 with the job it replies. */
  private void answerJob(RoutingContext rc, String address) {
    ask(rc, address, requestId(rc), reply -> json(rc, 200, job(reply)));
  }

  private void onFailures(Router router) {
    for (int status : new int[] {400, 404, 405, 413, 500}) {
      router.errorHandler(status, rc -> {
        if (status == 405) {
          rc.response().putHeader("Allow", allowed(rc.normalizedPath()));
        } else if (status == 413) {
          rc.put(AuditTrail.REFUSED, "body_too_large");
          Problems.send(rc, ErrorCode.PAYLOAD_TOO_LARGE, "the request body is over MAX_BODY_SIZE ("
            + config.maxBodySize() + " bytes)", null);
          return;
        }
        Problems.onRouterFailure(rc, status);
      });
    }
  }

  private String allowed(String path) {
    if (Console.owns(path)) {
      return "GET, HEAD";
    }
    return Metrics.PATH.equals(path) ? "GET" : String.join(", ", operations.allowed(path));
  }

  private static void accepted(RoutingContext rc, JsonObject job) {
    rc.response().putHeader("Location", PREFIX + "/downloads/" + job.getString("requestId"));
    json(rc, 202, job);
  }

  static void json(RoutingContext rc, int status, JsonObject body) {
    rc.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }

  private static JsonObject job(Message<?> reply) {
    JsonObject job = (JsonObject) reply.body();
    job.remove("seq");
    return job;
  }

  static ValidatedRequest validated(RoutingContext rc) {
    return rc.get(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST);
  }

  static String path(RoutingContext rc, String name) {
    return validated(rc).getPathParameters().get(name).getString();
  }

  private static JsonObject requestId(RoutingContext rc) {
    return new JsonObject().put("requestId", path(rc, "requestId"));
  }

  static String string(RequestParameter p) {
    return p == null ? null : p.getString();
  }
}
