package io.silentmode.cli.operator;

import sun.misc.Signal;

import java.io.Console;
import java.io.PrintWriter;

/**
 * Ctrl-C while following a pull on a terminal asks whether to cancel the pull on the server, pause it there, or only
 * stop watching it: the pull runs on the server either way, so quitting must not silently mean any of them.
 * Off a terminal Ctrl-C keeps its usual meaning (the command stops, the pull goes on).
 */
final class Interrupt {

  private Interrupt() {
  }

  static void askOnCtrlC(ApiClient api, String requestId, PrintWriter err, ProgressLine progress) {
    Console console = System.console();
    if (console == null) {
      return;
    }
    // sun.misc.Signal (module jdk.unsupported) is the JDK's only way to handle SIGINT without exiting.
    Signal.handle(new Signal("INT"), signal -> {
      progress.hold();
      err.print(System.lineSeparator() + "Pull " + requestId + ": cancel it on the server (y), pause it there (p), "
        + "or only stop watching (N)? [y/p/N] ");
      err.flush();
      String answer = console.readLine();
      String choice = answer == null ? "" : answer.trim().toLowerCase();
      if (choice.startsWith("y")) {
        exitAfter(err, () -> api.delete(Jobs.PATH + requestId), "Cancelled " + requestId + ".", ExitCode.FAILED);
      } else if (choice.startsWith("p")) {
        exitAfter(err, () -> api.post(Jobs.PATH + requestId + "/pause", null), "Paused " + requestId
          + "; it keeps what it verified. Go on: silentmode downloads resume " + requestId, ExitCode.OK);
      }
      err.println("Detached; the pull goes on. Follow it again: silentmode downloads status " + requestId + " --follow");
      err.flush();
      System.exit(ExitCode.OK);
    });
  }

  /** Asks the server, then exits with {@code code}, or with the failure's code if it refused. */
  private static void exitAfter(PrintWriter err, Runnable call, String done, int code) {
    int exit = Output.run(err, () -> {
      call.run();
      err.println(done);
      return code;
    });
    err.flush();
    System.exit(exit);
  }
}
