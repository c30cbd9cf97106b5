package io.silentmode.cli.operator;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.util.List;
import java.util.function.Function;

@Command(name = "batches", mixinStandardHelpOptions = true,
  description = "Batches (one pull from each of many agents): list, follow, cancel, retry the failed members.",
  subcommands = {BatchesCommand.ListBatches.class, BatchesCommand.Status.class, BatchesCommand.Cancel.class,
    BatchesCommand.Retry.class},
  footer = {"", "Examples:", "  silentmode download -l region=eu --concurrency 20 --wait   # start one",
    "  silentmode batches list", "  silentmode batches status 7a1e... --follow", "  silentmode batches cancel 7a1e...",
    "  silentmode batches retry 7a1e... --wait", "",
    "Exit codes: 0 success, 1 a member failed or the batch was cancelled, 2 usage, 3 server unreachable, 4 no such "
      + "batch, 5 conflict (ended batch, nothing to retry), 6 unauthorized."})
public class BatchesCommand {

  @Mixin
  Global global;

  abstract static class Sub extends Subcommand {
    @ParentCommand
    BatchesCommand parent;

    @Override
    Global global() {
      return parent.global;
    }
  }

  abstract static class OneBatch extends Sub {
    @Parameters(paramLabel = "BATCH_ID", description = "The batch's batchId.")
    String batchId;
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Batches, newest first.")
  static class ListBatches extends Sub {
    @Option(names = "--limit", defaultValue = "50", description = "At most this many (default ${DEFAULT-VALUE}).")
    int limit;

    @Override
    int run() {
      JsonObject page = global().client().get("/api/v1/batches?limit=" + limit);
      if (global().json) {
        Output.json(out(), page.getJsonArray("items"));
      } else {
        Output.table(out(), List.of("BATCH ID", "STATUS", "SELECTOR", "MEMBERS", "DONE", "FAILED", "CREATED"),
          page.getJsonArray("items").stream().map(JsonObject.class::cast).toList(),
          List.<Function<JsonObject, Object>>of(b -> b.getString("batchId"), b -> Output.colourStatus(b.getString("status")),
            b -> b.getString("selector"), b -> b.getInteger("matched"), b -> b.getJsonObject("counts").getInteger("completed"),
            b -> b.getJsonObject("counts").getInteger("failed"), b -> b.getString("createdAt")));
      }
      return ExitCode.OK;
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
    description = "One batch and its members; --follow waits for its end with one aggregate progress line.")
  static class Status extends OneBatch {
    @Option(names = {"-f", "--follow"}, description = "Follow the batch until it ends.")
    boolean follow;

    @Override
    int run() {
      ApiClient api = global().client();
      JsonObject batch = follow ? Batches.follow(api, batchId, err()) : api.get(Batches.PATH + batchId);
      return Batches.report(global(), out(), batch);
    }
  }

  @Command(name = "cancel", mixinStandardHelpOptions = true,
    description = "Cancel the members that have not ended; those that have stay as they are.")
  static class Cancel extends OneBatch {
    @Override
    int run() {
      Batches.report(global(), out(), global().client().delete(Batches.PATH + batchId));
      return ExitCode.OK;
    }
  }

  @Command(name = "retry", mixinStandardHelpOptions = true, description = "Pull again from the failed members only.")
  static class Retry extends OneBatch {
    @Option(names = "--wait", description = "Follow the batch until it ends again.")
    boolean await;

    @Override
    int run() {
      ApiClient api = global().client();
      JsonObject batch = api.post(Batches.PATH + batchId + "/retry", null);
      return Batches.report(global(), out(), await ? Batches.follow(api, batchId, err()) : batch);
    }
  }
}
