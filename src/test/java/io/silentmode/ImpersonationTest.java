package io.silentmode;

import io.silentmode.agent.AgentVerticle;
import io.silentmode.protocol.AgentProof;
import io.silentmode.protocol.MessageType;
import io.silentmode.protocol.Protocol;
import io.silentmode.server.Addresses;
import io.silentmode.server.audit.AuditVerticle;
import io.silentmode.server.metrics.Metrics;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile agents against the identity check, over real sockets: whoever claims an enrolled clientId without its
 * key's proof for this very connection is refused with a close code of its own, counted and audited, and the real
 * agent's connection is never touched.
 */
class ImpersonationTest {

  @TempDir
  Path dir;
  Vertx vertx;
  Fixture fx;

  @BeforeEach
  void setUp() {
    vertx = Metrics.vertxBuilder("test-node").build(); // as the server runs: metrics on
    fx = new Fixture(vertx, dir);
  }

  @AfterEach
  void tearDown() {
    vertx.close().await();
  }

  /** What a refused REGISTER got: the ERROR's code, the close code and reason. */
  record Refused(String code, String message, short closeCode, String closeReason) {
  }

  @Test
  void an_enrolled_id_claimed_without_its_key_is_refused_and_the_real_agent_stays_connected() throws Exception {
    fx.start();
    Path file = fx.randomFile("served.bin", 3L * Fixture.CHUNK + 5);
    fx.agent("shop-1", file);
    String connection = registered("shop-1").getString("connectionId");
    KeyPair impostor = AgentProof.newKeyPair();

    Refused bare = refused(register("shop-1"), null);
    Refused wrongKey = refused(register("shop-1"), (r, nonce) -> r.put("proof", AgentProof.sign(impostor.getPrivate(), nonce, "shop-1")));
    Refused garbage = refused(register("shop-1"), (r, nonce) -> r.put("proof", "not-a-signature"));
    // Even the enrollment token does not let a new key take over an enrolled id.
    Refused takeover = refused(register("shop-1"), (r, nonce) -> r
      .put("proof", AgentProof.sign(impostor.getPrivate(), nonce, "shop-1"))
      .put("enrollment", new JsonObject().put("token", fx.enrollmentToken()).put("publicKey", AgentProof.encode(impostor.getPublic()))));
    Refused wrongToken = refused(register("shop-2"), (r, nonce) -> r
      .put("proof", AgentProof.sign(impostor.getPrivate(), nonce, "shop-2"))
      .put("enrollment", new JsonObject().put("token", "guessed").put("publicKey", AgentProof.encode(impostor.getPublic()))));

    for (Refused r : List.of(bare, wrongKey, garbage)) {
      assertEquals(new Refused("AGENT_AUTH_FAILED", r.message(), (short) 4003, "AGENT_AUTH_FAILED"), r);
    }
    assertTrue(bare.message().contains("needs a proof"), bare::toString);
    assertEquals(new Refused("ENROLLMENT_REFUSED", takeover.message(), (short) 4005, "ENROLLMENT_REFUSED"), takeover);
    assertTrue(takeover.message().contains("enrolled with another key"), takeover::toString);
    assertEquals("ENROLLMENT_REFUSED", wrongToken.code(), wrongToken::toString);
    assertEquals(4005, wrongToken.closeCode());

    JsonObject real = registered("shop-1");
    assertTrue(real.getBoolean("connected"), real::encode);
    assertEquals(connection, real.getString("connectionId"), "the real agent's connection was not replaced");
    assertEquals("completed", fx.pull("shop-1").getString("status"));
    assertThrows(RuntimeException.class, () -> registered("shop-2"), "no id was created");

    String metrics = fx.api().web.get(Metrics.PATH).send().await().bodyAsString();
    assertEquals(3.0, counter(metrics, "auth_failed"), metrics);
    assertEquals(2.0, counter(metrics, "enrollment_refused"), metrics);
    List<JsonObject> audit = awaitAudit(5);
    assertEquals(List.of("AGENT_AUTH_FAILED", "AGENT_AUTH_FAILED", "AGENT_AUTH_FAILED", "ENROLLMENT_REFUSED", "ENROLLMENT_REFUSED"),
      audit.stream().filter(a -> "agent.refused".equals(a.getString("event"))).map(a -> a.getString("reason")).toList());
    assertEquals("127.0.0.1", audit.get(audit.size() - 1).getString("remote"));
    assertEquals("shop-2", audit.get(audit.size() - 1).getString("agent"));
  }

  /** The proof signs the connection's own nonce: seen on one connection, it is worth nothing on the next. */
  @Test
  void a_proof_replayed_on_another_connection_is_refused() {
    fx.start();
    Challenged first = RawAgent.open(fx);
    JsonObject proven = fx.prove(register("till-1"), first.nonce());
    first.ws().writeTextMessage(proven.encode());
    fx.awaitConnected("till-1");
    String connection = registered("till-1").getString("connectionId");

    Refused replayed = refused(proven.copy(), (r, nonce) -> r);
    Refused replayedWithoutToken = refused(proven.copy(), (r, nonce) -> {
      r.remove("enrollment");
      return r;
    });

    assertEquals(4003, replayed.closeCode(), replayed::toString);
    assertEquals(4003, replayedWithoutToken.closeCode(), replayedWithoutToken::toString);
    assertTrue(replayed.message().contains("for this connection's CHALLENGE"), replayed::toString);
    assertEquals(connection, registered("till-1").getString("connectionId"));
  }

  /** Before enrollment, one peer registered 2,000 ids in 12 s; now it creates none. */
  @Test
  void without_ALLOW_UNENROLLED_an_unenrolled_peer_creates_no_ids() throws Exception {
    fx.start();
    for (int i = 0; i < 200; i++) {
      Refused r = refused(register("fake-" + i), null);
      assertEquals(new Refused("AGENT_NOT_ENROLLED", r.message(), (short) 4001, "AGENT_NOT_ENROLLED"), r);
    }
    JsonArray known = fx.request(Addresses.REGISTRY_LIST, new JsonObject().put("limit", 500)).getJsonArray("items");
    assertEquals(0, known.size(), known::encode);
    String metrics = fx.api().web.get(Metrics.PATH).send().await().bodyAsString();
    assertEquals(200.0, counter(metrics, "not_enrolled"), metrics);
    // Audited one by one up to a rate, the rest counted in a record a second later: all 200 are accounted for.
    long deadline = System.currentTimeMillis() + 10_000;
    int accounted = 0;
    while (accounted < 200 && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
      accounted = awaitAudit(0).stream().filter(r -> "agent.refused".equals(r.getString("event")))
        .mapToInt(r -> r.getInteger("suppressed", 1)).sum();
    }
    assertEquals(200, accounted);
  }

  @Test
  void with_ALLOW_UNENROLLED_an_agent_registers_without_enrolling_and_an_enrolled_one_still_needs_its_proof() throws Exception {
    fx.with(c -> c.setAllowUnenrolled(true)).start();
    Challenged opened = RawAgent.open(fx);
    opened.ws().writeTextMessage(register("lab-1").encode());
    fx.awaitConnected("lab-1");
    assertEquals(null, registered("lab-1").getJsonObject("enrollment"));
    fx.agent("shop-1", fx.randomFile("f", 10));

    assertEquals(4003, refused(register("shop-1"), null).closeCode());
  }

  @Test
  void a_revoked_agent_is_disconnected_at_once_and_cannot_come_back_until_re_enrolled() throws Exception {
    fx.start();
    Path file = fx.randomFile("f", 10);
    AgentVerticle agent = fx.agent("shop-r", file);
    awaitEnrolledOnDisk("shop-r");
    Api api = fx.api();

    JsonObject revoked = api.post("revokeClient", "/api/v1/clients/shop-r/revoke", null, 200);

    assertEquals("revoked", revoked.getJsonObject("enrollment").getString("status"), revoked::encode);
    assertFalse(revoked.getBoolean("connected"), revoked::encode);
    Throwable gaveUp = assertThrows(RuntimeException.class, () -> agent.gaveUp().timeout(10, TimeUnit.SECONDS).await());
    assertTrue(gaveUp.getMessage().contains("AGENT_REVOKED"), gaveUp.getMessage());
    // Not with its own key (read from its state file, as a thief would) and not by enrolling a new one.
    JsonObject state = new JsonObject(Files.readString(fx.stateFile("shop-r")));
    KeyPair stolen = stolenKey(state);
    Refused withKey = refused(register("shop-r"), (r, nonce) -> r.put("proof", AgentProof.sign(stolen.getPrivate(), nonce, "shop-r")));
    Refused enrolling = refused(register("shop-r"), (r, nonce) -> fx.prove(r, nonce));
    assertEquals(new Refused("AGENT_REVOKED", withKey.message(), (short) 4004, "AGENT_REVOKED"), withKey);
    assertEquals(4004, enrolling.closeCode());
    assertEquals("revoked", api.get("listClients", "/api/v1/clients?enrollment=revoked", 200)
      .getJsonArray("items").getJsonObject(0).getJsonObject("enrollment").getString("status"));

    JsonObject reopened = api.post("reenrollClient", "/api/v1/clients/shop-r/reenroll", null, 200);
    assertEquals("open", reopened.getJsonObject("enrollment").getString("status"), reopened::encode);
    vertx.undeploy(agent.deploymentID()).await();
    Files.delete(fx.stateFile("shop-r")); // a lost machine comes back with a new key
    fx.agent("shop-r", file);
    JsonObject back = registered("shop-r");
    assertEquals("enrolled", back.getJsonObject("enrollment").getString("status"), back::encode);
    assertFalse(back.getJsonObject("enrollment").getString("publicKey").equals(state.getString("publicKey")));
    Api.problem(api.call("revokeClient", HttpMethod.POST, "/api/v1/clients/nobody/revoke", null), 404, "CLIENT_NOT_FOUND");
  }

  private interface Proof {
    JsonObject add(JsonObject register, String nonce);
  }

  private static JsonObject register(String clientId) {
    return Protocol.message(MessageType.REGISTER).put("clientId", clientId).put("protocolVersion", Protocol.VERSION);
  }

  /** Sends {@code register} (with what {@code proof} adds) on a new connection and waits for the refusal. */
  private Refused refused(JsonObject register, Proof proof) {
    Challenged opened = RawAgent.open(fx);
    Promise<JsonObject> error = Promise.promise();
    Promise<Refused> closed = Promise.promise();
    opened.ws().textMessageHandler(t -> error.tryComplete(new JsonObject(t)));
    opened.ws().closeHandler(v -> error.future().onComplete(e -> closed.tryComplete(new Refused(e.result().getString("code"),
      e.result().getString("message"), opened.ws().closeStatusCode(), opened.ws().closeReason()))));
    opened.ws().writeTextMessage((proof == null ? register : proof.add(register, opened.nonce())).encode());
    return closed.future().timeout(10, TimeUnit.SECONDS).await();
  }

  private JsonObject registered(String clientId) {
    return fx.request(Addresses.REGISTRY_GET, new JsonObject().put("clientId", clientId));
  }

  private static double counter(String metrics, String reason) {
    return PromText.parse(metrics).stream()
      .filter(s -> s.name().equals("silentmode_agent_auth_refused_total") && reason.equals(s.labels().get("reason")))
      .mapToDouble(PromText.Sample::value).sum();
  }

  /** The audit log's agent records, once there are {@code count} of them (it is written by a worker, after the close). */
  private List<JsonObject> awaitAudit(int count) throws Exception {
    Path log = AuditVerticle.path(fx.config);
    long deadline = System.currentTimeMillis() + 10_000;
    while (true) {
      List<JsonObject> records = Files.exists(log) ? Files.readAllLines(log).stream().map(JsonObject::new)
        .filter(r -> r.getString("event") != null && r.getString("event").startsWith("agent.")).toList() : List.of();
      if (records.stream().filter(r -> "agent.refused".equals(r.getString("event"))).count() >= count
        || System.currentTimeMillis() > deadline) {
        return records;
      }
      Thread.sleep(20);
    }
  }

  private void awaitEnrolledOnDisk(String clientId) throws Exception {
    long deadline = System.currentTimeMillis() + 10_000;
    while (!Files.exists(fx.stateFile(clientId))
      || !new JsonObject(Files.readString(fx.stateFile(clientId))).getBoolean("enrolled", false)) {
      assertTrue(System.currentTimeMillis() < deadline, "the agent did not note its enrollment");
      Thread.sleep(20);
    }
  }

  private static KeyPair stolenKey(JsonObject state) throws Exception {
    PrivateKey key = KeyFactory.getInstance("Ed25519").generatePrivate(
      new PKCS8EncodedKeySpec(Base64.getDecoder().decode(state.getString("privateKey"))));
    return new KeyPair(AgentProof.publicKey(state.getString("publicKey")), key);
  }
}
