package io.silentmode;

import io.silentmode.process.JvmProcess;
import io.silentmode.process.ProcessHarness;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What an operator's log collector gets from the real binary in each LOG_FORMAT: a server and an agent process, one
 * pull, both stopped with SIGTERM. One start and one end line for the pull, with its fields; no warning or error; in
 * JSON, every log line an object.
 */
@ExtendWith(VertxExtension.class)
class LogFormatTest {

  private static final long SIZE = 3L * 1024 * 1024 + 17;
  private static final String AGENT = "shop-7";
  /** A text log line: UTC time, level, logger, message. */
  private static final Pattern TEXT_LINE = Pattern.compile(
    "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z (ERROR|WARN |INFO |DEBUG|TRACE) [\\w$.]+: .*");

  @RegisterExtension
  final ProcessHarness harness = new ProcessHarness();

  @ParameterizedTest
  @ValueSource(strings = {"text", "json"})
  void a_successful_pull_logs_one_start_line_and_one_end_line_and_nothing_worse_than_info(String format, Vertx vertx)
    throws Exception {
    harness.environment("LOG_FORMAT", format);
    JvmProcess server = harness.server();
    JvmProcess agent = harness.agent(AGENT, harness.randomFile("f.bin", SIZE, 7), harness.wsUrl());
    Api api = new Api(vertx, harness.apiPort());
    api.token = harness.adminToken();
    awaitConnected(api, agent);
    String id = api.startPull(AGENT);
    assertEquals("completed", api.awaitDone(id).getString("status"));
    agent.stop();
    server.stop();

    List<String> lines = logLines(server);
    lines.addAll(logLines(agent));
    List<String> starts = lines.stream().filter(l -> l.contains("Pull " + id + " from " + AGENT + " started")).toList();
    List<String> ends = lines.stream().filter(l -> l.contains("Pull " + id + " from " + AGENT + " completed")).toList();
    assertEquals(1, starts.size(), () -> "start lines in\n" + String.join("\n", lines));
    assertEquals(1, ends.size(), () -> "end lines in\n" + String.join("\n", lines));
    String end = format.equals("json") ? json(ends.get(0)).getString("message") : ends.get(0);
    assertTrue(end.matches(".* completed: " + SIZE + " bytes in \\d+\\.\\d{3} s at \\d+\\.\\d MB/s, .*"), end);

    if (format.equals("json")) {
      List<JsonObject> events = lines.stream().map(LogFormatTest::json).toList();
      events.forEach(e -> assertEquals("INFO", e.getString("level"), e::encode));
      JsonObject start = json(starts.get(0));
      assertEquals(id, start.getString("requestId"), start::encode);
      assertEquals(AGENT, start.getString("clientId"), start::encode);
      assertEquals("io.silentmode.server.download.PullRunner", start.getString("loggerName"), start::encode);
      assertTrue(start.getString("time").endsWith("Z"), start::encode);
      assertTrue(!start.getString("node", "").isEmpty(), start::encode);
      JsonObject last = json(ends.get(0));
      assertEquals(id, last.getString("requestId"), last::encode);
      assertEquals(AGENT, last.getString("clientId"), last::encode);
      assertEquals(String.valueOf(SIZE), last.getString("bytes"), last::encode);
      assertTrue(Long.parseLong(last.getString("durationMs")) >= 0, last::encode);
      assertTrue(Long.parseLong(last.getString("bytesPerSecond")) > 0, last::encode);
    } else {
      for (String line : lines) {
        Matcher m = TEXT_LINE.matcher(line);
        assertTrue(m.matches(), () -> "not a text log line: " + line);
        assertEquals("INFO ", m.group(1), () -> "worse than INFO: " + line);
      }
    }
  }

  private static void awaitConnected(Api api, JvmProcess agent) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 30_000;
    while (true) {
      var client = api.call("getClient", HttpMethod.GET, "/api/v1/clients/" + AGENT, null);
      if (client.statusCode() == 200 && client.bodyAsJsonObject().getBoolean("connected")) {
        return;
      }
      if (!agent.isAlive() || System.currentTimeMillis() > deadline) {
        fail(agent + " did not connect:\n" + agent.tail(20));
      }
      Thread.sleep(20);
    }
  }

  /**
   * The process's log lines: its output less the harness's {@code $ command} line and the one plain start-up line
   * each role prints for the person who started it ({@code silentmode server: …}, {@code silentmode agent …}).
   */
  private static List<String> logLines(JvmProcess process) throws IOException {
    return new java.util.ArrayList<>(Files.readAllLines(process.log(), StandardCharsets.UTF_8).stream()
      .filter(l -> !l.startsWith("$ ") && !l.startsWith("silentmode server: ") && !l.startsWith("silentmode agent "))
      .toList());
  }

  private static JsonObject json(String line) {
    try {
      return new JsonObject(line);
    } catch (DecodeException e) {
      throw new AssertionError("not a JSON object: " + line, e);
    }
  }
}
