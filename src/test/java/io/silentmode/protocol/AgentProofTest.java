package io.silentmode.protocol;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The proof as docs/PROTOCOL.md §4a defines it, with the test vector it gives to agents written in other languages. */
class AgentProofTest {

  /** RFC 8032 §7.1, TEST 1: its secret key and public key. */
  private static final String SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
  private static final String PUBLIC = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
  private static final String PROOF = "ER5AmIqXpyBFNbKQUf3XbSZ6n4n7lQoJ1h1rclDHe7o5F9G0opqNoWrVhJk6AC5lKOY_IiOF9hqJ9ahJnAZQCg";

  @Test
  void the_signed_bytes_are_the_context_the_nonce_as_sent_and_the_client_id_on_three_lines() {
    byte[] bytes = AgentProof.signedBytes("AAAA", "shop-1");
    assertEquals(37, bytes.length);
    assertArrayEquals("silentmode-agent-proof-v1\nAAAA\nshop-1".getBytes(StandardCharsets.UTF_8), bytes);
  }

  @Test
  void the_documented_test_vector_signs_and_verifies() throws Exception {
    PrivateKey key = KeyFactory.getInstance("Ed25519").generatePrivate(
      new PKCS8EncodedKeySpec(HexFormat.of().parseHex("302e020100300506032b657004220420" + SEED)));

    assertEquals(PROOF, AgentProof.sign(key, "AAAA", "shop-1"), "Ed25519 signatures are deterministic");
    assertTrue(AgentProof.verify(PUBLIC, "AAAA", "shop-1", PROOF));
  }

  @Test
  void a_proof_for_another_nonce_or_id_or_from_another_key_or_malformed_does_not_verify() {
    KeyPair other = AgentProof.newKeyPair();
    assertFalse(AgentProof.verify(PUBLIC, "AAAB", "shop-1", PROOF));
    assertFalse(AgentProof.verify(PUBLIC, "AAAA", "shop-2", PROOF));
    assertFalse(AgentProof.verify(AgentProof.encode(other.getPublic()), "AAAA", "shop-1", PROOF));
    for (String junk : new String[] {null, "", "not base64!", "AAAA"}) {
      assertFalse(AgentProof.verify(PUBLIC, "AAAA", "shop-1", junk), junk);
      assertFalse(AgentProof.verify(junk, "AAAA", "shop-1", PROOF), junk);
    }
    assertFalse(AgentProof.isPublicKey(PUBLIC.substring(1)), "31 bytes is no Ed25519 key");
    assertTrue(AgentProof.isPublicKey(PUBLIC));
  }
}
