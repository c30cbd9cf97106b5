package io.silentmode.cli.operator;

import sun.misc.Signal;

import java.io.Console;
import java.io.PrintWriter;

/**
 * Ctrl-C while following a pull on a terminal asks whether to cancel the pull on the server or only stop
 * watching it: the pull runs on the server either way, so quitting must not silently mean either.
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
      progress.pause();
      err.print(System.lineSeparator() + "Cancel pull " + requestId + " on the server? [y/N] ");
      err.flush();
      String answer = console.readLine();
      if (answer != null && answer.trim().toLowerCase().startsWith("y")) {
        int code = Output.run(err, () -> {
          api.delete(Jobs.PATH + requestId);
          err.println("Cancelled " + requestId + ".");
          return ExitCode.FAILED;
        });
        err.flush();
        System.exit(code);
      }
      err.println("Detached; the pull goes on. Follow it again: silentmode downloads status " + requestId + " --follow");
      err.flush();
      System.exit(ExitCode.OK);
    });
  }
}
