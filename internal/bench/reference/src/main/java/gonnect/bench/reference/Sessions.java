package gonnect.bench.reference;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * One driver session per cluster shared by the tasks of a worker, as the
 * driver recommends: a session already pools connections and is
 * thread-safe, and each extra one costs threads and buffers.
 */
final class Sessions {
  private static final Map<String, Shared> SESSIONS = new HashMap<>();

  private static final class Shared {
    final CqlSession session;
    int users;

    Shared(CqlSession session) {
      this.session = session;
    }
  }

  private Sessions() {}

  static synchronized CqlSession acquire(SinkConfig cfg) {
    String key = String.join(",", cfg.contactPoints()) + "/" + cfg.getString(SinkConfig.LOCAL_DC);
    Shared s = SESSIONS.get(key);
    if (s == null) {
      s = new Shared(open(cfg));
      SESSIONS.put(key, s);
    }
    s.users++;
    return s.session;
  }

  static synchronized void release(CqlSession session) {
    SESSIONS.entrySet().removeIf(e -> {
      Shared s = e.getValue();
      if (s.session != session || --s.users > 0) {
        return false;
      }
      s.session.close();
      return true;
    });
  }

  private static CqlSession open(SinkConfig cfg) {
    // The driver reads its reference.conf through a class loader: give it
    // the plugin's, not the worker's.
    ClassLoader cl = Sessions.class.getClassLoader();
    DriverConfigLoader config = DriverConfigLoader.programmaticBuilder(cl)
        .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofMillis(cfg.getInt(SinkConfig.TIMEOUT_MS)))
        // Several tasks with hundreds of requests in flight each exceed one
        // connection's default of 1024 concurrent requests.
        .withInt(DefaultDriverOption.CONNECTION_POOL_LOCAL_SIZE, 2)
        .withInt(DefaultDriverOption.CONNECTION_MAX_REQUESTS, 2048)
        .build();
    var b = CqlSession.builder().withClassLoader(cl).withConfigLoader(config)
        .withLocalDatacenter(cfg.getString(SinkConfig.LOCAL_DC));
    for (String hp : cfg.contactPoints()) {
      int colon = hp.lastIndexOf(':');
      String host = colon < 0 ? hp : hp.substring(0, colon);
      int port = colon < 0 ? 9042 : Integer.parseInt(hp.substring(colon + 1));
      b.addContactPoint(new InetSocketAddress(host, port));
    }
    return b.build();
  }
}
