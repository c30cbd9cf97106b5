package io.silentmode.server.store.pg;

import io.vertx.core.Future;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Runs the writes that touch the same keys one after the other, in the order asked, and writes to other keys at
 * once: a pool of connections would otherwise let a later save of a job overtake an earlier one. Used on one
 * context only.
 */
final class Sequencer {

  private final Map<String, Future<?>> tails = new HashMap<>();

  <T> Future<T> after(Collection<String> keys, Supplier<Future<T>> work) {
    List<Future<?>> before = keys.stream().map(tails::get).filter(Objects::nonNull).distinct().toList();
    Future<T> done = before.isEmpty() ? work.get() : Future.join(before).transform(x -> work.get());
    keys.forEach(k -> tails.put(k, done));
    done.onComplete(x -> keys.forEach(k -> tails.remove(k, done)));
    return done;
  }
}
