package io.silentmode.server.cluster;

import io.silentmode.protocol.ErrorCode;
import io.silentmode.protocol.PullException;
import io.silentmode.server.Addresses;
import io.silentmode.server.download.Cursor;
import io.silentmode.server.registry.ClientCursor;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;

import java.util.ArrayList;
import java.util.List;

/**
 * Makes the cluster answer as one server: it takes the operator-facing addresses on every node and asks the
 * node that owns the agent, job or batch ({@link Addresses#onNode}). A batch is made by the node that was asked. A pull is started by the orchestrator of the node its
 * agent is connected to (the chunks arrive there), else of the node that saw the agent last; an Idempotency-Key is
 * claimed cluster-wide for the node that took it first, whose orchestrator replays it. A job is found by asking every
 * member; lists are merged from every member's pages in the list's own order. One server alone is a cluster of one.
 */
public class ClusterRouterVerticle extends VerticleBase {

  /** Idempotency keys: key → the node whose orchestrator took it. Cluster-wide when clustered. */
  public static final String IDEMPOTENCY_MAP = "silentmode.idempotency";
  private static final long IDEMPOTENCY_TTL_MS = 24 * 3_600_000L;
  /**
   * How long a member has to answer a question asked of all. A member killed a moment ago still has its consumers
   * registered until Hazelcast notices (a second or so), and a message to it is only failed by its timeout: without
   * this bound, every list would wait the event bus' default 30 s.
   */
  static final long ASK_TIMEOUT_MS = 3_000;

  private final Membership membership;
  private AsyncMap<String, String> keys;

  public ClusterRouterVerticle(Membership membership) {
    this.membership = membership;
  }

  @Override
  public Future<?> start() {
    EventBus bus = vertx.eventBus();
    return vertx.sharedData().<String, String>getAsyncMap(IDEMPOTENCY_MAP).compose(map -> {
      keys = map;
      return Future.all(List.of(
        bus.<JsonObject>localConsumer(Addresses.REGISTRY_GET, m -> reply(m, client(m.body()))).completion(),
        bus.<JsonObject>localConsumer(Addresses.REGISTRY_LIST, m -> reply(m, new ClientPages(this::askAll).page(m.body()))).completion(),
        bus.<JsonObject>localConsumer(Addresses.DOWNLOADS_START, this::start).completion(),
        bus.<JsonObject>localConsumer(Addresses.DOWNLOADS_LIST, m -> reply(m, newestFirst(Addresses.DOWNLOADS_LIST, "requestId", m.body()))).completion(),
        owner(bus, Addresses.DOWNLOADS_GET, ErrorCode.DOWNLOAD_NOT_FOUND),
        owner(bus, Addresses.DOWNLOADS_CANCEL, ErrorCode.DOWNLOAD_NOT_FOUND),
        owner(bus, Addresses.DOWNLOADS_PAUSE, ErrorCode.DOWNLOAD_NOT_FOUND),
        owner(bus, Addresses.DOWNLOADS_RESUME, ErrorCode.DOWNLOAD_NOT_FOUND),
        owner(bus, Addresses.DOWNLOADS_RETRY, ErrorCode.DOWNLOAD_NOT_FOUND),
        owner(bus, Addresses.DOWNLOADS_RELEASE, ErrorCode.DOWNLOAD_NOT_FOUND),
        bus.<JsonObject>localConsumer(Addresses.BATCHES_LIST, m -> reply(m, newestFirst(Addresses.BATCHES_LIST, "batchId", m.body()))).completion(),
        owner(bus, Addresses.BATCHES_GET, ErrorCode.BATCH_NOT_FOUND),
        owner(bus, Addresses.BATCHES_CANCEL, ErrorCode.BATCH_NOT_FOUND),
        owner(bus, Addresses.BATCHES_RETRY, ErrorCode.BATCH_NOT_FOUND)));
    });
  }

  /** An operation on one job or batch: the member that has it answers, the others say {@code notFound}. */
  private Future<Void> owner(EventBus bus, String address, ErrorCode notFound) {
    return bus.<JsonObject>localConsumer(address, m -> forward(m, askAll(address, m.body()).compose(replies ->
      first(replies, notFound)))).completion();
  }

  /**
   * The agent's entry: the connected one (an agent is connected to one node at most), else the one seen last.
   * Every entry says which node it is from.
   */
  private Future<JsonObject> client(JsonObject query) {
    return askAll(Addresses.REGISTRY_GET, query).compose(replies -> {
      JsonObject best = null;
      for (Reply r : replies) {
        if (r.message() != null && ClientPages.better(r.message().body(), best)) {
          best = r.message().body();
        }
      }
      return best != null ? Future.succeededFuture(best) : Future.failedFuture(firstFailure(replies, ErrorCode.CLIENT_NOT_FOUND));
    });
  }

  private void start(Message<JsonObject> m) {
    JsonObject body = m.body();
    Future<String> node = client(new JsonObject().put("clientId", body.getString("clientId"))).map(c -> c.getString("node"));
    String key = body.getString("idempotencyKey");
    if (key != null) {
      // The first node to take a key keeps it: a retry of the request, through any node, reaches the same
      // orchestrator, which replays the job or says the key is in use or was used for something else.
      node = node.compose(n -> keys.putIfAbsent(key, n, IDEMPOTENCY_TTL_MS).map(earlier -> earlier != null ? earlier : n));
    }
    forward(m, node.compose(n -> vertx.eventBus().<JsonObject>request(Addresses.onNode(Addresses.DOWNLOADS_START, n), body)));
  }

  /** Every member's jobs or batches newest first: each member's page after the cursor, merged, cut to the limit. */
  private Future<JsonObject> newestFirst(String address, String idField, JsonObject query) {
    int limit = query.getInteger("limit", 50);
    return askAll(address, query).compose(replies -> {
      List<JsonObject> items = new ArrayList<>();
      boolean more = false;
      for (Reply r : replies) {
        if (r.message() == null) {
          return Future.failedFuture(r.failure());
        }
        r.message().body().getJsonArray("items").forEach(i -> items.add((JsonObject) i));
        more |= r.message().body().getString("nextCursor") != null;
      }
      items.sort(Cursor.newestFirst(idField));
      List<JsonObject> page = items.subList(0, Math.min(limit, items.size()));
      String next = (more || items.size() > limit) && !page.isEmpty() ? Cursor.after(page.get(page.size() - 1), idField) : null;
      return Future.succeededFuture(new JsonObject().put("items", new JsonArray(new ArrayList<>(page))).put("nextCursor", next));
    });
  }

  /** One member's answer: its reply, or why it failed. */
  record Reply(Message<JsonObject> message, Throwable failure) {
  }

  /**
   * Asks {@code address} of every live member. A member that has just left, or whose consumers are not registered
   * yet, answers NO_HANDLERS, and one that died a moment ago does not answer within {@link #ASK_TIMEOUT_MS}: both
   * are left out; any other failure is kept for the caller.
   */
  Future<List<Reply>> askAll(String address, JsonObject body) {
    DeliveryOptions bounded = new DeliveryOptions().setSendTimeout(ASK_TIMEOUT_MS);
    List<Future<Reply>> asked = membership.members().stream()
      .map(n -> vertx.eventBus().<JsonObject>request(Addresses.onNode(address, n), body, bounded)
        .map(msg -> new Reply(msg, null)).otherwise(e -> new Reply(null, e)))
      .toList();
    return Future.all(asked).map(all -> asked.stream().map(Future::result)
      .filter(r -> !(r.failure() instanceof ReplyException e
        && (e.failureType() == ReplyFailure.NO_HANDLERS || e.failureType() == ReplyFailure.TIMEOUT)))
      .toList());
  }

  /** The one success, else the first failure that is not {@code notFound}, else {@code notFound}. */
  private static Future<Message<JsonObject>> first(List<Reply> replies, ErrorCode notFound) {
    return replies.stream().filter(r -> r.message() != null).findFirst().map(r -> Future.succeededFuture(r.message()))
      .orElseGet(() -> Future.failedFuture(firstFailure(replies, notFound)));
  }

  /** Why nobody had it: a failure other than {@code notFound} if any member had one, else a member's notFound. */
  private static Throwable firstFailure(List<Reply> replies, ErrorCode notFound) {
    Throwable any = new PullException(notFound, "not found on any node");
    for (Reply r : replies) {
      if (r.failure() instanceof ReplyException e && e.failureCode() == notFound.busCode()) {
        any = e;
      } else if (r.failure() != null) {
        return r.failure();
      }
    }
    return any;
  }

  private static void reply(Message<JsonObject> m, Future<JsonObject> answer) {
    answer.onSuccess(m::reply).onFailure(e -> fail(m, e));
  }

  /** Passes the owner's reply on as it came, headers included ({@code replayed}). */
  private static void forward(Message<JsonObject> m, Future<Message<JsonObject>> answer) {
    answer.onSuccess(r -> m.reply(r.body(), new DeliveryOptions().setHeaders(r.headers()))).onFailure(e -> fail(m, e));
  }

  private static void fail(Message<JsonObject> m, Throwable e) {
    PullException p = PullException.of(e);
    m.fail(p.code().busCode(), p.getMessage());
  }
}
