package io.silentmode.server.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.OpenAPIContract;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * {@code openapi.yaml}, as served (its text, unchanged) and as routed and validated.
 * <p>
 * vertx-openapi 5.0 refuses a contract that names media types outside a fixed list (JSON, text/plain,
 * octet-stream, multipart), and RFC 9457's {@code application/problem+json}, {@code text/event-stream} and
 * {@code application/yaml} are outside it (custom media types arrive in a later vertx-openapi). So the validator
 * gets a copy in which each of those is renamed to the listed type with the same validation: problem+json to
 * application/json, the two text formats to text/plain. The document itself keeps the true types.
 */
public record Contract(OpenAPIContract openapi, Buffer text) {

  public static final String RESOURCE = "openapi.yaml";

  private static final Map<String, String> VALIDATED_AS = Map.of(
    "application/problem+json", "application/json",
    "text/event-stream", "text/plain",
    "application/yaml", "text/plain");

  public static Future<Contract> load(Vertx vertx) {
    return vertx.fileSystem().readFile(RESOURCE).compose(text -> {
      Map<String, Object> yaml = new Yaml(new SafeConstructor(new LoaderOptions())).load(text.toString(StandardCharsets.UTF_8));
      JsonObject json = new JsonObject(yaml);
      renameMediaTypes(json);
      return OpenAPIContract.from(vertx, json).map(openapi -> new Contract(openapi, text));
    });
  }

  /** The media type, without parameters, a response of {@code contentType} is validated as. */
  public static String validatedAs(String contentType) {
    String type = contentType == null ? null : contentType.split(";")[0].trim().toLowerCase();
    return VALIDATED_AS.getOrDefault(type, type);
  }

  private static void renameMediaTypes(Object node) {
    if (node instanceof JsonObject object) {
      JsonObject content = object.getValue("content") instanceof JsonObject c ? c : null;
      if (content != null) {
        VALIDATED_AS.forEach((type, as) -> {
          if (content.containsKey(type) && !content.containsKey(as)) {
            content.put(as, content.remove(type));
          }
        });
      }
      object.forEach(e -> renameMediaTypes(e.getValue()));
    } else if (node instanceof io.vertx.core.json.JsonArray array) {
      array.forEach(Contract::renameMediaTypes);
    }
  }
}
