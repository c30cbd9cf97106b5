package io.silentmode.deploy;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The deployment files under deploy/ are well-formed YAML, probe the health checks the contract has, name only
 * settings the server knows, and the nginx configuration docs/OPERATIONS.md shows is the one compose mounts. No
 * Docker or Kubernetes runs here: this is what can be checked without them (nginx -t is .ci/run's).
 */
class DeployFilesTest {

  private static final Path DEPLOY = Path.of("deploy");
  /**
   * Settings of the cluster work, not yet in the README's table when these files were written; drop each from here
   * once the table has it.
   */
  /** Environment that is not a silentmode setting: the JVM's, PostgreSQL's image, the pod's own name. */
  private static final Set<String> NOT_SETTINGS = Set.of("JAVA_OPTS", "POD_NAME", "POSTGRES_DB", "POSTGRES_USER",
    "POSTGRES_PASSWORD");
  private static final Set<String> NODES = Set.of("node1", "node2", "node3");

  @Test
  void the_compose_file_runs_three_clustered_nodes_behind_nginx_with_postgresql() throws IOException {
    Map<String, Object> compose = map(yaml().load(Files.readString(DEPLOY.resolve("compose.yaml"))));
    Map<String, Object> services = map(compose.get("services"));
    assertTrue(services.keySet().containsAll(Set.of("node1", "node2", "node3", "postgres", "nginx")), services::toString);
    for (String node : NODES) {
      Map<String, Object> env = map(map(services.get(node)).get("environment"));
      assertEquals("true", env.get("CLUSTER"), node);
      assertEquals(node, env.get("CLUSTER_HOST"), node);
      assertEquals(NODES, members(env.get("CLUSTER_MEMBERS").toString()), node);
      assertTrue(env.get("DATABASE_URL").toString().startsWith("postgresql://"), node);
      assertKnown(env.keySet(), "compose " + node);
    }
    List<?> volumes = (List<?>) map(services.get("nginx")).get("volumes");
    assertTrue(volumes.contains("./nginx/silentmode.conf:/etc/nginx/conf.d/default.conf:ro"), volumes::toString);
    assertKnown(map(map(services.get("agent")).get("environment")).keySet(), "compose agent");
  }

  @Test
  void the_kubernetes_servers_probe_readiness_and_liveness_and_list_every_replica_as_a_member() throws IOException {
    List<Map<String, Object>> docs = manifests("server.yaml");
    Map<String, Object> set = only(docs, "StatefulSet");
    Map<String, Object> spec = map(set.get("spec"));
    Map<String, Object> container = map(((List<?>) map(map(map(spec.get("template")).get("spec"))).get("containers")).get(0));
    assertEquals("/api/v1/health/ready", map(map(container.get("readinessProbe")).get("httpGet")).get("path"));
    assertEquals("/api/v1/health", map(map(container.get("livenessProbe")).get("httpGet")).get("path"));
    Map<String, String> env = env(container);
    int replicas = (Integer) spec.get("replicas");
    Set<String> members = members(env.get("CLUSTER_MEMBERS"));
    assertEquals(replicas, members.size(), members::toString);
    members.forEach(m -> assertTrue(m.matches("silentmode-\\d\\." + spec.get("serviceName")), m));
    assertKnown(env.keySet(), "server.yaml");
    assertEquals(3, docs.stream().filter(d -> "Service".equals(d.get("kind"))).count());

    Map<String, Object> daemonSet = only(manifests("agent-daemonset.yaml"), "DaemonSet");
    Map<String, Object> agent = map(((List<?>) map(map(map(daemonSet.get("spec")).get("template")).get("spec"))
      .get("containers")).get(0));
    assertEquals(List.of("agent"), agent.get("args"));
    assertKnown(env(agent).keySet(), "agent-daemonset.yaml");
    only(manifests("ingress.yaml"), "Ingress");
    only(manifests("secret.example.yaml"), "Secret");
  }

  @Test
  void the_contract_has_the_health_checks_the_image_and_the_probes_ask() throws IOException {
    Map<String, Object> paths = map(map(yaml().load(Files.readString(Path.of("src/main/resources/openapi.yaml")))).get("paths"));
    assertTrue(paths.containsKey("/health") && paths.containsKey("/health/ready"), paths.keySet()::toString);
    String dockerfile = Files.readString(DEPLOY.resolve("Dockerfile"));
    assertTrue(dockerfile.contains("/api/v1/health/ready"), "HEALTHCHECK on readiness");
    Matcher user = Pattern.compile("(?m)^USER (\\S+)").matcher(dockerfile);
    assertTrue(user.find() && !user.group(1).startsWith("root") && !user.group(1).startsWith("0"), "runs as non-root");
  }

  @Test
  void the_nginx_configuration_in_the_operations_guide_is_the_one_compose_mounts() throws IOException {
    String conf = Files.readString(DEPLOY.resolve("nginx/silentmode.conf"));
    String guide = Files.readString(Path.of("docs/OPERATIONS.md"));
    Matcher block = Pattern.compile("```nginx\n# deploy/nginx/silentmode\\.conf\n(.*?)```", Pattern.DOTALL).matcher(guide);
    assertTrue(block.find(), "docs/OPERATIONS.md shows deploy/nginx/silentmode.conf");
    assertEquals(conf, block.group(1));
  }

  private static void assertKnown(Set<String> names, String where) throws IOException {
    Set<String> unknown = new TreeSet<>(names);
    unknown.removeAll(readmeSettings());
    unknown.removeAll(NOT_SETTINGS);
    assertEquals(Set.of(), unknown, where + " sets what is no setting");
  }

  /** The Environment column of the README's settings table. */
  private static Set<String> readmeSettings() throws IOException {
    Set<String> names = new TreeSet<>();
    Matcher row = Pattern.compile("(?m)^\\| [^|]+ \\| `([A-Z0-9_]+)` \\|").matcher(Files.readString(Path.of("README.md")));
    while (row.find()) {
      names.add(row.group(1));
    }
    assertFalse(names.isEmpty(), "no settings table in README.md");
    return names;
  }

  private static Set<String> members(String list) {
    Set<String> hosts = new TreeSet<>();
    for (String member : list.split(",")) {
      assertTrue(member.endsWith(":5701"), member);
      hosts.add(member.substring(0, member.length() - ":5701".length()));
    }
    return hosts;
  }

  private static Map<String, String> env(Map<String, Object> container) {
    Map<String, String> env = new java.util.TreeMap<>();
    for (Object entry : (List<?>) container.get("env")) {
      Map<String, Object> e = map(entry);
      env.put(e.get("name").toString(), e.get("value") == null ? "" : e.get("value").toString());
    }
    return env;
  }

  private static List<Map<String, Object>> manifests(String file) throws IOException {
    List<Map<String, Object>> docs = new ArrayList<>();
    StreamSupport.stream(yaml().loadAll(Files.readString(DEPLOY.resolve("k8s").resolve(file))).spliterator(), false)
      .forEach(d -> docs.add(map(d)));
    docs.forEach(d -> assertTrue(d.containsKey("apiVersion") && d.containsKey("kind") && d.containsKey("metadata"),
      () -> file + ": " + d));
    return docs;
  }

  private static Map<String, Object> only(List<Map<String, Object>> docs, String kind) {
    List<Map<String, Object>> of = docs.stream().filter(d -> kind.equals(d.get("kind"))).toList();
    assertEquals(1, of.size(), kind);
    return of.get(0);
  }

  private static Yaml yaml() {
    return new Yaml(new SafeConstructor(new LoaderOptions()));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    assertTrue(o instanceof Map, () -> "not a mapping: " + o);
    return (Map<String, Object>) o;
  }
}
