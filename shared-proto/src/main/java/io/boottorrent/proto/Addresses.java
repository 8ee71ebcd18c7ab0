package io.boottorrent.proto;

/**
 * Every event-bus address, in one place. Dotted lowercase; "publish" addresses fan out to every
 * subscriber in the cluster, "request" addresses expect exactly one reply.
 */
public final class Addresses {
  private Addresses() {}

  /** publish {@link ImageEvent} (type ADDED) when an image has been fully stored. */
  public static final String IMAGE_ADDED = "catalog.image.added";
  /** publish {@link ImageEvent} (type REMOVED) after an image was deleted. */
  public static final String IMAGE_REMOVED = "catalog.image.removed";
  /** request (empty body) → reply {@link ImageList} with .torrent bytes, for seeders starting up. */
  public static final String IMAGE_LIST = "catalog.image.list";
  /** request (empty body) → reply {@link BootPolicy}: the catalog's boot policy, for any member. */
  public static final String POLICY = "catalog.policy";
  /**
   * request {@link BootScriptRequest} → reply {@link BootScript}: the GRUB config the TFTP service
   * serves as {@code grub.cfg} on the Secure Boot path (shim → GRUB over TFTP), rendered by the catalog.
   */
  public static final String BOOT_SCRIPT = "catalog.boot.script";
  /** publish {@link BootEvent}: every stage of every boot, from agents (via HTTP) and services. */
  public static final String BOOT_EVENT = "boot.event";
  /**
   * request {@link BootEvent} → empty reply once telemetry has written it to its journal: how the catalog
   * knows that an event it acknowledges to an agent (202) is recorded. The reply's {@link #RECORDED_BY}
   * header names the telemetry instance, and the catalog's publish on {@link #BOOT_EVENT} carries it, so
   * that instance does not record the event twice while every other subscriber gets it as usual.
   */
  public static final String BOOT_EVENT_RECORD = "telemetry.event.record";
  /** Message header: the id of the telemetry instance that has recorded this boot event already. */
  public static final String RECORDED_BY = "boottorrent-recorded-by";
  /** publish {@link SeederStatus} from each seeder instance, every few seconds. */
  public static final String SEEDER_STATUS = "seeder.status";
  /** publish {@link SwarmStats} from the tracker when a swarm's counts change. */
  public static final String SWARM_STATS = "tracker.swarm.stats";
  /**
   * request {@link TokenCheck} → reply {@link TokenCheckResult}: the catalog, which holds the token
   * store, says whose a bearer secret is (by its SHA-256), for services without a store (telemetry).
   */
  public static final String TOKEN_CHECK = "catalog.token.check";
}
