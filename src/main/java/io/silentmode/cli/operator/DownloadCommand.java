package io.silentmode.cli.operator;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;

@Command(name = "download", mixinStandardHelpOptions = true,
  description = {"Pull a file from an agent and follow it live (progress on stderr, the result on stdout).",
    "With -l instead of CLIENT_ID, start a batch: one pull from every agent the selector matches, N at a time."},
  footer = {"", "Examples:", "  silentmode download restaurant-001",
    "  silentmode download restaurant-001 --output today.txt   # also fetch it and check its SHA-256 here",
    "  silentmode download restaurant-001 --no-wait --json     # print the job and return at once",
    "  silentmode download -l region=eu --concurrency 20 --wait  # a batch, one aggregate progress line", "",
    ExitCode.HELP + " A batch exits 1 when any member failed."})
public class DownloadCommand extends Subcommand {

  @Mixin
  Global global;

  @Parameters(paramLabel = "CLIENT_ID", arity = "0..1", description = "The agent to pull from (or -l for many).")
  String clientId;

  @Option(names = {"-l", "--selector"}, paramLabel = "SELECTOR",
    description = "Start a batch over the agents whose labels match, e.g. region=eu,store!=test (docs/API.md).")
  String selector;

  @Option(names = "--concurrency", paramLabel = "N", description = "A batch's members running at once (default 10).")
  Integer concurrency;

  @Option(names = "--deadline", paramLabel = "TIME", description = "A batch's members not started by then (ISO-8601, e.g. 2026-12-03T18:00:00Z) fail.")
  String deadline;

  @Option(names = "--wait", description = "Follow the batch until every member ended, then print its members.")
  boolean await;

  @Option(names = "--path", description = "The file on the agent (default: the agent's FILE_PATH).")
  String path;

  @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Fetch the pulled file to FILE and check its SHA-256.")
  Path output;

  @Option(names = "--no-wait", description = "Start the pull, print the job and return without following it.")
  boolean noWait;

  @Option(names = "--priority", paramLabel = "PRIORITY", description = "high, normal (default) or low: which waiting pulls start first.")
  String priority;

  @Override
  Global global() {
    return global;
  }

  @Override
  int run() {
    if ((clientId == null) == (selector == null)) {
      throw new CliException(ExitCode.USAGE, "give either CLIENT_ID (one agent) or -l SELECTOR (a batch), not both or neither");
    }
    ApiClient api = global.client();
    if (selector != null) {
      return batch(api);
    }
    JsonObject request = new JsonObject().put("clientId", clientId);
    if (path != null) {
      request.put("path", path);
    }
    if (priority != null) {
      request.put("priority", priority);
    }
    JsonObject job = api.post("/api/v1/downloads", request);
    if (noWait) {
      return Jobs.report(global, out(), job);
    }
    JsonObject done = Jobs.follow(api, job.getString("requestId"), err());
    int code = Jobs.report(global, out(), done);
    if (code == ExitCode.OK && output != null) {
      Jobs.fetch(api, done, output, err());
    }
    return code;
  }

  private int batch(ApiClient api) {
    JsonObject request = new JsonObject().put("selector", selector).put("path", path).put("priority", priority)
      .put("concurrency", concurrency).put("deadline", deadline);
    request.fieldNames().removeIf(k -> request.getValue(k) == null);
    JsonObject batch = api.post("/api/v1/batches", request);
    err().println("Batch " + batch.getString("batchId") + ": " + batch.getInteger("matched") + " agents matched");
    err().flush();
    return Batches.report(global, out(), await ? Batches.follow(api, batch.getString("batchId"), err()) : batch);
  }
}
