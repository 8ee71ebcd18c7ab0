package io.boottorrent.swarm;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads libtorrent4j's native library from the libtorrent4j-linux jar. libtorrent4j itself only
 * looks at {@code -Dlibtorrent4j.jni.path} or java.library.path, so the .so is extracted once to a
 * cache folder and the property set before the first libtorrent class initialises.
 *
 * <p>The native code installs its own SIGSEGV handler; without JVM signal chaining
 * ({@code LD_PRELOAD=$JAVA_HOME/lib/libjsig.so}) the JVM dies with a segfault during transfers.
 * {@link #ensureLoaded()} refuses to start without it unless {@value #ALLOW_NO_JSIG} is set.
 */
public final class Libtorrent {
  private static final Logger LOG = LoggerFactory.getLogger(Libtorrent.class);
  private static final String RESOURCE = "lib/x86_64/libtorrent4j.so";
  public static final String PROPERTY = "libtorrent4j.jni.path";
  public static final String ALLOW_NO_JSIG = "boottorrent.allowNoJsig";
  private static volatile boolean loaded;

  private Libtorrent() {}

  public static synchronized void ensureLoaded() {
    if (loaded) {
      return;
    }
    if (!signalChainingActive() && !Boolean.getBoolean(ALLOW_NO_JSIG)) {
      throw new IllegalStateException("libtorrent needs JVM signal chaining: start this JVM with LD_PRELOAD="
          + Path.of(System.getProperty("java.home"), "lib", "libjsig.so")
          + " (the bin/boottorrent script and the Makefile do this)");
    }
    if (System.getProperty(PROPERTY, "").isEmpty()) {
      System.setProperty(PROPERTY, extract().toString());
    }
    org.libtorrent4j.LibTorrent.version(); // triggers System.load now, not in the middle of a transfer
    loaded = true;
  }

  public static boolean signalChainingActive() {
    String preload = System.getenv("LD_PRELOAD");
    return preload != null && preload.contains("libjsig");
  }

  private static Path extract() {
    try (InputStream in = Libtorrent.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " not on the classpath (libtorrent4j-linux jar missing?)");
      }
      byte[] bytes = in.readAllBytes();
      String digest = Integer.toHexString(java.util.Arrays.hashCode(bytes)) + "-" + bytes.length;
      // One folder per user: a copy another user extracted (rw------- in /tmp) cannot be loaded.
      String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9._-]", "_");
      Path dir = Path.of(System.getProperty("java.io.tmpdir"), "boottorrent-native-" + user + "-" + digest);
      Path target = dir.resolve("libtorrent4j.so");
      if (Files.isRegularFile(target) && Files.isReadable(target) && Files.size(target) == bytes.length) {
        return target;
      }
      if (Files.exists(dir) && !Files.isWritable(dir)) {
        dir = Files.createTempDirectory("boottorrent-native-");
        target = dir.resolve("libtorrent4j.so");
      }
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, "libtorrent4j", ".tmp");
      Files.write(tmp, bytes);
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      LOG.debug("extracted {} to {}", RESOURCE, target);
      return target;
    } catch (IOException e) {
      throw new IllegalStateException("cannot extract libtorrent4j native library: " + e.getMessage(), e);
    }
  }
}
