package io.silentmode;

import io.silentmode.server.auth.Role;
import io.silentmode.server.http.Contract;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static io.silentmode.Api.problem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An operator who should not get in, or not that far: no token, a made-up one, a malformed one, a revoked one and
 * a role short of the operation's, on every route the contract has (each also dressed up with dot-segments,
 * encoded dot-segments and doubled slashes, {@link PathTrickTest#tricks}), and traversal in ids. Real server, raw
 * sockets. Signed links, body size and rate limits are in {@link HostileLinkAndLimitTest}.
 */
@ExtendWith(VertxExtension.class)
class HostileOperatorTest {

  private static final String MADE_UP = "smt_0123456789abcdef.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

  @TempDir
  java.nio.file.Path dir;
  private Fixture fx;
  private Api admin;

  @BeforeEach
  void start(Vertx vertx) throws Exception {
    fx = new Fixture(vertx, dir).start();
    fx.agent("shop-1", fx.randomFile("f.bin", 10));
    admin = fx.api();
  }

  @Test
  void every_operation_declares_its_security_and_every_protected_one_exactly_one_known_role(Vertx vertx) {
    Set<String> open = new TreeSet<>();
    for (Path path : Contract.load(vertx).await().openapi().getPaths()) {
      for (Operation op : path.getOperations()) {
        Object declared = op.getOpenAPIModel().getValue("security");
        assertTrue(declared instanceof JsonArray, op.getOperationId() + " declares no security of its own");
        JsonArray security = (JsonArray) declared;
        if (security.isEmpty()) {
          open.add(op.getOperationId());
          continue;
        }
        assertEquals(1, security.size(), op.getOperationId());
        JsonArray roles = security.getJsonObject(0).getJsonArray("bearerToken");
        assertNotNull(roles, op.getOperationId() + " names another scheme");
        assertEquals(1, roles.size(), op.getOperationId() + " must name one role");
        assertNotNull(Role.parse(roles.getString(0)), op.getOperationId() + ": unknown role " + roles.getString(0));
        assertTrue(op.getResponse(401) != null && op.getResponse(403) != null, op.getOperationId()
          + " must declare its 401 and 403");
      }
    }
    assertEquals(Set.of("getContract", "getHealth", "getReadiness"), open, "only the probes and the contract are open");
  }

  @Test
  void no_token_a_made_up_a_malformed_and_a_revoked_token_get_401_with_WWW_Authenticate_on_every_route(Vertx vertx) throws Exception {
    String revoked = create("gone", "admin").getString("token");
    admin.delete("revokeToken", "/api/v1/tokens/" + revoked.substring(4, 20), 200);
    List<String> credentials = List.of("", "Authorization: Bearer " + MADE_UP + "\r\n", "Authorization: Bearer nonsense\r\n",
      "Authorization: Basic YWRtaW46YWRtaW4=\r\n", "Authorization: Bearer " + revoked + "\r\n",
      "Authorization: Bearer " + fx.adminToken + "x\r\n");
    int tried = 0;
    for (Operation op : PathTrickTest.protectedOperations(vertx)) {
      String route = PathTrickTest.route(op, "shop-1");
      for (String uri : withTricks(route)) {
        for (String credential : credentials) {
          RawHttp.Answer answer = send(op, uri, credential);
          tried++;
          String what = op.getHttpMethod() + " " + uri + " with [" + credential.trim() + "]";
          if (namesNoRoute(answer, uri, route, what)) {
            continue;
          }
          assertEquals(401, answer.status(), what + ": " + answer.body());
          assertEquals("Bearer realm=\"silentmode\"", answer.header("WWW-Authenticate"), what);
          assertTrue(answer.body().contains("\"code\":\"UNAUTHORIZED\""), what + ": " + answer.body());
          assertFalse(answer.body().contains("shop-1\",\"connected"), what);
        }
      }
    }
    assertTrue(tried > 1000, "tried " + tried);
  }

  @Test
  void a_role_short_of_the_operations_gets_403_FORBIDDEN_on_every_route(Vertx vertx) throws Exception {
    String viewer = create("dashboard", "viewer").getString("token");
    String operator = create("ci", "operator").getString("token");
    int forbidden = 0;
    for (Operation op : PathTrickTest.protectedOperations(vertx)) {
      Role needed = Role.parse(op.getSecurityRequirements().get(0).getScopes("bearerToken").get(0));
      for (String token : List.of(viewer, operator)) {
        Role role = token.equals(viewer) ? Role.VIEWER : Role.OPERATOR;
        if (role.covers(needed)) {
          continue;
        }
        String route = PathTrickTest.route(op, "shop-1");
        for (String uri : withTricks(route)) {
          RawHttp.Answer answer = send(op, uri, "Authorization: Bearer " + token + "\r\n");
          String what = op.getHttpMethod() + " " + uri + " as " + role;
          if (namesNoRoute(answer, uri, route, what)) {
            continue;
          }
          assertEquals(403, answer.status(), what + ": " + answer.body());
          assertTrue(answer.body().contains("\"code\":\"FORBIDDEN\"") && answer.body().contains("needs role " + needed.wire()),
            what + ": " + answer.body());
          forbidden++;
        }
      }
    }
    assertTrue(forbidden > 100, "403s: " + forbidden);
    // ... and nothing happened: no pull was made, no token
    assertEquals(0, admin.get("listDownloads", "/api/v1/downloads", 200).getJsonArray("items").size());
    assertEquals(3, admin.get("listTokens", "/api/v1/tokens", 200).getJsonArray("items").size());
  }

  @Test
  void each_role_reaches_what_it_should_and_whoami_says_who(Vertx vertx) throws Exception {
    Api viewer = as(create("dashboard", "viewer"));
    Api operator = as(create("ci", "operator"));
    viewer.get("listClients", "/api/v1/clients", 200);
    problem(viewer.call("createDownload", HttpMethod.POST, "/api/v1/downloads", new JsonObject().put("clientId", "shop-1")), 403, "FORBIDDEN");
    String requestId = operator.startPull("shop-1");
    assertEquals("completed", viewer.awaitDone(requestId).getString("status"));
    problem(operator.call("listTokens", HttpMethod.GET, "/api/v1/tokens", null), 403, "FORBIDDEN");
    operator.get("getDownload", "/api/v1/downloads/" + requestId, 200);

    JsonObject me = viewer.get("getWhoami", "/api/v1/whoami", 200);
    assertEquals(Set.of("tokenId", "name", "role"), me.fieldNames());
    assertEquals("dashboard", me.getString("name"));
    assertEquals("viewer", me.getString("role"));
    assertEquals(viewer.token.substring(4, 20), me.getString("tokenId"));
    JsonObject first = admin.get("getWhoami", "/api/v1/whoami", 200);
    assertEquals("admin", first.getString("role"));
    assertEquals("admin", first.getString("name"));
  }

  @Test
  void traversal_in_ids_never_reaches_a_file_or_another_route() throws Exception {
    String auth = "Authorization: " + fx.authorization() + "\r\n";
    for (String uri : List.of(
      "/api/v1/downloads/..%2F..%2F..%2Fetc%2Fpasswd/content",
      "/api/v1/downloads/%2e%2e%2f%2e%2e%2fetc%2fpasswd/content",
      "/api/v1/downloads/../../../../etc/passwd",
      "/api/v1/downloads/....//....//etc/passwd/content",
      "/api/v1/clients/..%2F..%2Ftokens",
      "/api/v1/clients/%2e%2e",
      "/api/v1/tokens/..%2Fwhoami",
      "/api/v1/tokens/%2e%2e%2f%2e%2e%2fclients",
      "/api/v1/downloads/%00/content",
      "/api/v1/clients/shop-1%00.json")) {
      for (String method : List.of("GET", "DELETE")) {
        RawHttp.Answer answer = RawHttp.send(fx.server.apiPort(), method, uri, auth, null);
        assertTrue(answer.status() == 400 || answer.status() == 404 || answer.status() == 405, method + " " + uri + " answered "
          + answer.status() + ": " + answer.body());
        assertFalse(answer.body().contains("root:"), uri);
        assertFalse(answer.body().contains("\"items\""), method + " " + uri + " reached a list: " + answer.body());
        assertFalse(answer.body().contains(fx.dir.toString()), "no server path in answers: " + answer.body());
      }
    }
  }

  /**
   * Whether a trick named no route at all: the router's own 404 NOT_FOUND, never an operation's (which would mean
   * the request got past the token check). The route itself, untricked, always names its route.
   */
  private static boolean namesNoRoute(RawHttp.Answer answer, String uri, String route, String what) {
    if (answer.status() != 404 || uri.equals("/api/v1" + route)) {
      return false;
    }
    assertTrue(answer.body().contains("\"code\":\"NOT_FOUND\""), what + " reached an operation: " + answer.body());
    return true;
  }

  /** The route as the contract has it, then every trick on it. */
  private static List<String> withTricks(String route) {
    List<String> all = new ArrayList<>();
    all.add("/api/v1" + route);
    all.addAll(PathTrickTest.tricks(route));
    return all;
  }

  private RawHttp.Answer send(Operation op, String uri, String headers) throws Exception {
    boolean body = op.getRequestBody() != null;
    return RawHttp.send(fx.server.apiPort(), op.getHttpMethod().name(), uri,
      headers + (body ? "Content-Type: application/json\r\n" : ""),
      body ? "{\"clientId\":\"shop-1\",\"name\":\"x\",\"role\":\"admin\"}" : null);
  }

  private JsonObject create(String name, String role) {
    HttpResponse<Buffer> made = admin.call("createToken", HttpMethod.POST, "/api/v1/tokens",
      new JsonObject().put("name", name).put("role", role));
    return Api.expect(made, 201);
  }

  private Api as(JsonObject token) {
    Api api = new Api(fx.vertx, fx.server.apiPort());
    api.token = token.getString("token");
    return api;
  }
}
