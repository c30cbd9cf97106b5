package io.silentmode.logging;

import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.JsonEscapeUtil;

import java.time.Instant;
import java.util.Map;

/**
 * Logback's {@link JsonEncoder} (one JSON object per line) with the fields flat for {@code jq} and log search:
 * the MDC entries ({@code requestId}, {@code clientId}, {@code code}) as top-level members rather than under
 * {@code "mdc"}, plus {@code time} (ISO-8601 UTC) and {@code node} (this process, from logback.xml).
 */
public class JsonLineEncoder extends JsonEncoder {

  private String node = "";

  public void setNode(String node) {
    this.node = node;
  }

  @Override
  protected void appendMDC(StringBuilder sb, ILoggingEvent event) {
    Map<String, String> mdc = event.getMDCPropertyMap();
    if (mdc != null) {
      mdc.forEach((key, value) -> {
        sb.append(VALUE_SEPARATOR);
        appenderMember(sb, JsonEscapeUtil.jsonEscapeString(key), JsonEscapeUtil.jsonEscapeString(value));
      });
    }
  }

  @Override
  protected void appendCustomFields(StringBuilder sb, ILoggingEvent event) {
    sb.append(VALUE_SEPARATOR);
    appenderMember(sb, "time", Instant.ofEpochMilli(event.getTimeStamp()).toString());
    sb.append(VALUE_SEPARATOR);
    appenderMember(sb, "node", JsonEscapeUtil.jsonEscapeString(node));
  }
}
