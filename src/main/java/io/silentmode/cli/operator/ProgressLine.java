package io.silentmode.cli.operator;

import io.vertx.core.json.JsonObject;

import java.io.PrintWriter;

/**
 * The live progress of a pull on stderr: one line redrawn in place on a terminal, one line per state change
 * otherwise (so logs and pipes stay readable). Shared by {@code download}, {@code downloads status --follow}
 * and {@code demo}.
 */
public final class ProgressLine {

  private final PrintWriter err;
  private final boolean terminal = System.console() != null;
  /** Set while the operator answers a question on the same terminal. */
  private volatile boolean held;

  public ProgressLine(PrintWriter err) {
    this.err = err;
  }

  /** Draws one event ({@code state}, {@code progress}, {@code file_changed} or {@code final}) of the job. */
  public void update(String event, JsonObject job) {
    if (held) {
      return;
    }
    if ("file_changed".equals(event)) {
      err.print((terminal ? "\r\033[K" : "") + "The file changed on the agent: pulling the new version from the start"
        + System.lineSeparator());
    }
    if (terminal) {
      err.print("\r\033[K" + Output.progress(job) + ("final".equals(event) ? System.lineSeparator() : ""));
    } else if (!"progress".equals(event)) {
      err.println(Output.progress(job));
    }
    err.flush();
  }

  void hold() {
    held = true;
  }
}
