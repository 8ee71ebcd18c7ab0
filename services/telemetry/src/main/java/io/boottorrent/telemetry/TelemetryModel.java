package io.boottorrent.telemetry;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import io.boottorrent.core.MacAddress;
import io.boottorrent.core.PeerSource;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootStage;
import io.boottorrent.proto.EventList;
import io.boottorrent.proto.ImageEvent;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.proto.LoggedEvent;
import io.boottorrent.proto.MachineDetail;
import io.boottorrent.proto.MachineList;
import io.boottorrent.proto.MachineView;
import io.boottorrent.proto.SeederStatus;
import io.boottorrent.proto.SnapshotHeader;
import io.boottorrent.proto.StormList;
import io.boottorrent.proto.StormView;
import io.boottorrent.proto.SwarmList;
import io.boottorrent.proto.SwarmStats;
import io.boottorrent.proto.SwarmView;
import io.boottorrent.proto.TelemetryRecord;
import io.boottorrent.proto.TorrentStatus;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the telemetry service knows, folded from the bus's messages: machines and their current boot
 * ({@link MachineView}), boot storms ({@link StormView}), swarms ({@link SwarmView}) and the latest
 * events. Pure (no Vert.x, no I/O) and single-threaded: the verticle calls it on its event loop; the
 * journal replays into a fresh one on a worker before handing it over.
 *
 * <p>Every input is a {@link TelemetryRecord} stamped with the time it was received ({@code clock}):
 * all durations are on this one clock, whatever the senders' clocks say. The live entry points
 * ({@link #bootEvent}, {@link #seederStatus}, {@link #swarmStats}, {@link #image}) stamp and return the
 * record for the journal; {@link #replay} applies a journaled one, so the model after replaying the
 * journal equals the model that wrote it.
 *
 * <p>Memory is bounded by {@link Limits} (and documented with their defaults in boottorrent-defaults.yaml):
 * <ul>
 *   <li>{@code maxMachines} machines (10,000); beyond, the least recently seen is forgotten;
 *   <li>{@code eventsPerMachine} events per machine (200) and {@code logCapacity} in the global ring
 *       (10,000), oldest dropped first; an entry is the serialized event plus ~60 bytes, shared by both
 *       rings (measured, TelemetryMeasurementsTest: 10,000 machines x 21 events, their storms included,
 *       take 64 MiB, ~320 bytes per event kept; the worst case of the defaults, 2,000,000 events, ~600 MiB);
 *   <li>{@code eventMemoryBytes} of events in all of those rings together ({@link #entryCost}: the
 *       serialized event plus the heap an entry costs beside it, measured); beyond, the oldest event
 *       held anywhere is dropped first, whatever ring holds it: the counts alone let large events (a
 *       progress event naming hundreds of peers) take many times the memory the counts suggest;
 *   <li>{@code maxStorms} finished storms (100), oldest dropped first, each with its members and at
 *       most {@value Storm#MAX_SAMPLES} P2P samples; running storms are bounded by the machines;
 *   <li>{@value #ORPHAN_CAPACITY} TFTP events waiting to be joined to a machine by their IP;
 *   <li>{@value #MAX_SEEDERS} seeder processes (by id, least recently heard forgotten), one swarm per
 *       image the catalog, the tracker or a seeder named.
 * </ul>
 *
 * <p>TFTP (and HTTP boot) events without a MAC are joined to the machine their IP was leased to
 * (DHCP_LEASE; any event carrying both a MAC and an IP also teaches it). One that arrives before its IP
 * is known (proxyDHCP: the lease comes from another server) waits, for up to {@code stallMs}, until an
 * event with that IP and a MAC arrives.
 */
public final class TelemetryModel {
  /**
   * The windows and caps.
   *
   * @param stallMs a machine silent this long (neither failed nor launched) is stalled
   * @param stormWindowMs downloads of one image starting within this of a storm's first join it
   */
  public record Limits(long stallMs, long stormWindowMs, int maxMachines, int eventsPerMachine, int logCapacity,
      int maxStorms, long eventMemoryBytes) {
    public Limits {
      if (stallMs < 1 || stormWindowMs < 1 || maxMachines < 1 || eventsPerMachine < 1 || logCapacity < 1
          || maxStorms < 0 || eventMemoryBytes < 1) {
        throw new IllegalArgumentException("telemetry limits out of range: " + this);
      }
    }
  }

  /** An event as taken in: its journal record and its log entry (for the live streams). */
  public record Ingested(TelemetryRecord record, LoggedEntry entry) {}

  /** TFTP events kept waiting for their IP to be joined to a machine. */
  static final int ORPHAN_CAPACITY = 1024;
  /** Distinct image names shared between entries; beyond, the table starts again (names stay correct). */
  static final int MAX_NAMES = 4096;
  static final int MAX_SEEDERS = 64;
  /**
   * Heap an entry costs beside its serialized bytes and its IP's characters: the entry, its byte
   * array's and IP string's headers, and its slots in the rings (measured, TelemetryMeasurementsTest
   * "heapPerEventByte": {@value} bytes).
   */
  static final int ENTRY_OVERHEAD = 210;

  private record SeederState(SeederStatus status, long receivedMs, Map<String, Long> uploaded) {}

  private record ImageInfo(String name, long size) {}

  private final Limits limits;
  private final Clock clock;
  private long nextSeq = 1;
  /** In order of last event: the least recently seen first. */
  private final LinkedHashMap<String, Machine> machines = new LinkedHashMap<>();
  private final Map<String, String> machineByIp = new HashMap<>();
  private final ArrayDeque<LoggedEntry> log = new ArrayDeque<>();
  private final ArrayDeque<LoggedEntry> orphans = new ArrayDeque<>();
  /** Running storms by id, oldest first. */
  private final LinkedHashMap<String, Storm> running = new LinkedHashMap<>();
  /** Finished storms, oldest first. */
  private final ArrayDeque<StormView> finished = new ArrayDeque<>();
  /** Seeders by id, the least recently heard first. */
  private final LinkedHashMap<String, SeederState> seeders = new LinkedHashMap<>();
  private final Map<String, TelemetryRecord> swarmStats = new TreeMap<>();
  private final Map<String, ImageInfo> images = new TreeMap<>();
  /** Image names shared by the entries that name them. */
  private final Map<String, String> names = new HashMap<>();
  private long eventsIngested;
  /**
   * Every entry held (in the log, a machine's ring or among the orphans) in the order taken in, the
   * oldest first, for the byte cap; entries the rings dropped meanwhile are skipped when reached and
   * swept out once they are half of it, so this costs at most two slots per entry held.
   */
  private final ArrayDeque<LoggedEntry> byAge = new ArrayDeque<>();
  private int releasedInByAge;
  private long heldBytes;
  private long evictedForBytes;

  public TelemetryModel(Limits limits, Clock clock) {
    this.limits = limits;
    this.clock = clock;
  }

  public Limits limits() {
    return limits;
  }

  public long now() {
    return clock.millis();
  }

  // ------------------------------------------------------------------------------------- inputs

  /** Takes a boot event in, received now. */
  public Ingested bootEvent(BootEvent event) {
    TelemetryRecord record = TelemetryRecord.newBuilder().setReceivedMs(clock.millis()).setBootEvent(event).build();
    return new Ingested(record, ingest(event, record.getReceivedMs()));
  }

  public TelemetryRecord seederStatus(SeederStatus status) {
    TelemetryRecord record = TelemetryRecord.newBuilder().setReceivedMs(clock.millis()).setSeederStatus(status).build();
    replay(record);
    return record;
  }

  public TelemetryRecord swarmStats(SwarmStats stats) {
    TelemetryRecord record = TelemetryRecord.newBuilder().setReceivedMs(clock.millis()).setSwarmStats(stats).build();
    replay(record);
    return record;
  }

  /** An image added or removed; kept (and journaled) without its .torrent bytes. */
  public TelemetryRecord image(ImageEvent event) {
    ImageManifest m = event.getImage();
    ImageEvent slim = ImageEvent.newBuilder().setType(event.getType()).setImage(ImageManifest.newBuilder()
        .setName(m.getName()).setInfoHash(m.getInfoHash()).setTotalSize(m.getTotalSize())).build();
    TelemetryRecord record = TelemetryRecord.newBuilder().setReceivedMs(clock.millis()).setImageEvent(slim).build();
    replay(record);
    return record;
  }

  /**
   * Finishes the storms whose window has passed and whose members are all booted, failed or stalled.
   *
   * @return the storms finished now (to be journaled: their seeder egress cannot be rebuilt)
   */
  public List<StormView> tick() {
    long now = clock.millis();
    List<StormView> done = new ArrayList<>();
    for (Iterator<Storm> it = running.values().iterator(); it.hasNext(); ) {
      Storm storm = it.next();
      if (storm.finishable(now, limits.stormWindowMs(), limits.stallMs())) {
        it.remove();
        StormView view = storm.view(seederEndpoints(), true, now);
        keepFinished(view);
        done.add(view);
      }
    }
    return done;
  }

  /** Applies one journaled record (an input, or a snapshot's part). */
  public void replay(TelemetryRecord r) {
    long t = r.getReceivedMs();
    switch (r.getKindCase()) {
      case BOOT_EVENT -> ingest(r.getBootEvent(), t);
      case SEEDER_STATUS -> ingestSeeder(r.getSeederStatus(), t);
      case SWARM_STATS -> swarmStats.put(r.getSwarmStats().getInfoHash().toLowerCase(Locale.ROOT), r);
      case IMAGE_EVENT -> ingestImage(r.getImageEvent());
      case STORM -> restoreStorm(r.getStorm());
      case MACHINE -> restoreMachine(r.getMachine());
      case LOGGED -> restoreLogged(r.getLogged(), t);
      case SNAPSHOT -> reset(r.getSnapshot().getNextSeq());
      case KIND_NOT_SET -> throw new IllegalArgumentException("a telemetry record without content");
    }
  }

  private LoggedEntry ingest(BootEvent event, long t) {
    eventsIngested++;
    String key = machineKey(event.getMac());
    String image = intern(event.getImage());
    LoggedEntry entry = new LoggedEntry(nextSeq++, t, event, event.toByteArray(), key, image);
    hold(entry);
    try {
      return place(entry, event, key, t);
    } finally {
      enforceBytes();
    }
  }

  private LoggedEntry place(LoggedEntry entry, BootEvent event, String key, long t) {
    addToLog(entry);
    if (key == null) {
      String owner = event.getIp().isEmpty() ? null : machineByIp.get(event.getIp());
      if (owner != null && machines.containsKey(owner)) {
        entry.machine = owner;
        applyToMachine(touch(owner), entry, event, t);
      } else if (!event.getIp().isEmpty()) {
        entry.orphan = true;
        orphans.addLast(entry);
        if (orphans.size() > ORPHAN_CAPACITY) {
          LoggedEntry dropped = orphans.removeFirst();
          dropped.orphan = false;
          release(dropped);
        }
      }
      return entry;
    }
    Machine machine = touch(key);
    if (!event.getIp().isEmpty()) {
      learnIp(machine, event, t);
    }
    applyToMachine(machine, entry, event, t);
    return entry;
  }

  private void applyToMachine(Machine machine, LoggedEntry entry, BootEvent event, long t) {
    addToMachine(machine, entry);
    if (machine.startsNewBoot(event)) {
      endMembership(machine, "rebooted before the boot ended");
      machine.newBoot(t);
    }
    machine.apply(event, t);
    storms(machine, event, t);
  }

  /** The machine of {@code key}, created if new, moved to the most recently seen end. */
  private Machine touch(String key) {
    Machine machine = machines.remove(key);
    if (machine == null) {
      machine = new Machine(key);
      if (machines.size() >= limits.maxMachines()) {
        forget(machines.values().iterator().next());
      }
    }
    machines.put(key, machine);
    return machine;
  }

  private void forget(Machine machine) {
    machines.remove(machine.key);
    if (machine.key.equals(machineByIp.get(machine.ip))) {
      machineByIp.remove(machine.ip);
    }
    for (LoggedEntry e : machine.ring) {
      e.inMachine = false;
      release(e);
    }
    machine.ring.clear();
  }

  private void learnIp(Machine machine, BootEvent event, long t) {
    String ip = event.getIp();
    String previous = machineByIp.put(ip, machine.key);
    if (previous != null && !previous.equals(machine.key)) {
      Machine other = machines.get(previous);
      boolean dhcp = event.getStage() == BootStage.DHCP_LEASE || event.getStage() == BootStage.PXE_OFFER;
      if (other != null && other.ip.equals(ip) && dhcp) {
        other.ip = ""; // leased to another machine now
      }
    }
    if (orphans.isEmpty()) {
      return;
    }
    List<LoggedEntry> joined = new ArrayList<>();
    for (Iterator<LoggedEntry> it = orphans.iterator(); it.hasNext(); ) {
      LoggedEntry e = it.next();
      if (e.ip.equals(ip) && t - e.receivedMs <= limits.stallMs()) {
        it.remove();
        e.orphan = false;
        e.machine = machine.key;
        joined.add(e);
      }
    }
    for (LoggedEntry e : joined) {
      BootEvent orphan = e.event();
      applyToMachine(machine, e, orphan, e.receivedMs);
    }
  }

  private void addToLog(LoggedEntry entry) {
    log.addLast(entry);
    entry.inLog = true;
    if (log.size() > limits.logCapacity()) {
      LoggedEntry dropped = log.removeFirst();
      dropped.inLog = false;
      release(dropped);
    }
  }

  private void addToMachine(Machine machine, LoggedEntry entry) {
    entry.inMachine = true;
    if (machine.ring.isEmpty() || machine.ring.peekLast().seq < entry.seq) {
      machine.ring.addLast(entry);
    } else { // an orphan joined late: keep the ring in order
      List<LoggedEntry> all = new ArrayList<>(machine.ring);
      all.add(entry);
      all.sort(Comparator.comparingLong(LoggedEntry::seq));
      machine.ring.clear();
      machine.ring.addAll(all);
    }
    if (machine.ring.size() > limits.eventsPerMachine()) {
      LoggedEntry dropped = machine.ring.removeFirst();
      dropped.inMachine = false;
      release(dropped);
    }
  }

  // ------------------------------------------------------------------------------- the byte cap

  /** What {@code e} costs on the heap, as the byte cap counts it. */
  static long entryCost(LoggedEntry e) {
    return ENTRY_OVERHEAD + e.bytes.length + e.ip.length();
  }

  /** {@code e} is held from now on (before any ring may drop it). */
  private void hold(LoggedEntry e) {
    byAge.addLast(e);
    heldBytes += entryCost(e);
  }

  /** {@code e} left a ring: if no ring holds it any more, it no longer counts. */
  private void release(LoggedEntry e) {
    if (e.inLog || e.inMachine || e.orphan || e.released) {
      return;
    }
    e.released = true;
    heldBytes -= entryCost(e);
    if (++releasedInByAge > byAge.size() / 2 + 1024) {
      byAge.removeIf(x -> x.released);
      releasedInByAge = 0;
    }
  }

  /** Drops the oldest events held anywhere until they fit in {@code eventMemoryBytes}. */
  private void enforceBytes() {
    while (heldBytes > limits.eventMemoryBytes() && !byAge.isEmpty()) {
      LoggedEntry e = byAge.pollFirst();
      if (e.released) {
        releasedInByAge--;
        continue;
      }
      // the oldest held: the first of every ring that holds it (each ring is in the order taken in)
      if (e.inLog) {
        removeOldest(log, e);
        e.inLog = false;
      }
      Machine m = e.inMachine && e.machine != null ? machines.get(e.machine) : null;
      if (m != null) {
        removeOldest(m.ring, e);
      }
      e.inMachine = false;
      if (e.orphan) {
        removeOldest(orphans, e);
        e.orphan = false;
      }
      evictedForBytes++;
      // out of byAge already: released without counting it among the ones to skip
      e.released = true;
      heldBytes -= entryCost(e);
    }
  }

  private static void removeOldest(ArrayDeque<LoggedEntry> ring, LoggedEntry e) {
    if (ring.peekFirst() == e) {
      ring.removeFirst();
    } else {
      ring.removeFirstOccurrence(e);
    }
  }

  // ------------------------------------------------------------------------------------- storms

  private void storms(Machine machine, BootEvent event, long t) {
    BootStage s = event.getStage();
    if (s == BootStage.DOWNLOAD_STARTED) {
      join(machine, event, t);
      return;
    }
    Storm storm = machine.stormId.isEmpty() ? null : running.get(machine.stormId);
    if (storm == null) {
      return;
    }
    Storm.Member member = storm.members.get(machine.key);
    if (member == null || !(event.getNodeId().isEmpty() || event.getNodeId().equals(member.nodeId))) {
      return;
    }
    member.lastSeenMs = Math.max(member.lastSeenMs, t);
    member.bytesDone = machine.bytesDone;
    member.bytesTotal = machine.bytesTotal;
    switch (s) {
      case DOWNLOAD_COMPLETE -> {
        member.completedMs = member.completedMs == 0 ? t : member.completedMs;
        member.sources = machine.sources;
        member.webSeedBytes = machine.webSeedBytes;
      }
      case VERIFIED, LAUNCHING -> member.bootedMs = member.bootedMs == 0 ? t : member.bootedMs;
      case FAILED -> {
        member.failed = member.bootedMs == 0;
        member.failure = event.getMessage();
      }
      default -> {
      }
    }
    if (storm.imageSize == 0 && machine.bytesTotal > 0) {
      storm.imageSize = machine.bytesTotal;
    }
  }

  private void join(Machine machine, BootEvent event, long t) {
    String key = Storm.key(event.getImage(), event.getInfoHash());
    Storm storm = machine.stormId.isEmpty() ? null : running.get(machine.stormId);
    Storm.Member current = storm == null ? null : storm.members.get(machine.key);
    if (current != null && current.nodeId.equals(event.getNodeId()) && storm.key.equals(key)) {
      return; // the same download announced twice
    }
    endMembership(machine, "started another download");
    Storm open = null;
    for (Storm s : running.values()) {
      if (s.key.equals(key) && t - s.startMs <= limits.stormWindowMs()) {
        open = s; // the newest such storm wins
      }
    }
    if (open == null) {
      open = new Storm(intern(event.getImage()), event.getInfoHash().toLowerCase(Locale.ROOT), t);
      running.put(open.id, open);
    }
    Storm.Member member = new Storm.Member(machine.key, event.getNodeId(), t);
    member.bytesTotal = event.getBytesTotal();
    open.members.remove(machine.key);
    open.members.put(machine.key, member);
    if (open.imageSize == 0) {
      open.imageSize = event.getBytesTotal();
    }
    machine.stormId = open.id;
  }

  /** The machine's download in a running storm ends unfinished (it rebooted, or started another). */
  private void endMembership(Machine machine, String why) {
    Storm storm = machine.stormId.isEmpty() ? null : running.get(machine.stormId);
    if (storm == null) {
      return;
    }
    Storm.Member member = storm.members.get(machine.key);
    if (member != null && member.bootedMs == 0 && !member.failed) {
      member.failed = true;
      member.failure = why;
    }
  }

  private void ingestSeeder(SeederStatus status, long t) {
    SeederState previous = seeders.remove(status.getSeederId());
    Map<String, Long> uploaded = new HashMap<>();
    Set<String> hashes = new LinkedHashSet<>();
    for (TorrentStatus torrent : status.getTorrentsList()) {
      String hash = torrent.getInfoHash().toLowerCase(Locale.ROOT);
      long total = torrent.getTotalUploaded();
      uploaded.put(hash, total);
      hashes.add(hash);
      Long before = previous == null ? null : previous.uploaded().get(hash);
      if (before != null) {
        long delta = total >= before ? total - before : total; // smaller: the torrent was re-added
        if (delta > 0) {
          attribute(hash, delta);
        }
      }
    }
    seeders.put(status.getSeederId(), new SeederState(status, t, Map.copyOf(uploaded)));
    if (seeders.size() > MAX_SEEDERS) {
      seeders.remove(seeders.keySet().iterator().next());
    }
    for (Storm storm : running.values()) {
      if (hashes.contains(storm.key)) {
        storm.sample(t);
      }
    }
  }

  /**
   * A seeder's egress for one torrent goes to the running storms of that torrent: all of it to the
   * only one; split by what each storm's members received since its last sample when several run;
   * to the newest when none received anything. Egress while no storm runs is nobody's.
   */
  private void attribute(String hash, long delta) {
    List<Storm> storms = running.values().stream().filter(s -> s.key.equals(hash)).toList();
    if (storms.isEmpty()) {
      return;
    }
    if (storms.size() == 1) {
      storms.get(0).seederBytes += delta;
      return;
    }
    long[] growth = new long[storms.size()];
    long sum = 0;
    for (int i = 0; i < storms.size(); i++) {
      growth[i] = Math.max(0, storms.get(i).delivered() - storms.get(i).lastSampledDelivered());
      sum += growth[i];
    }
    if (sum == 0) {
      storms.get(storms.size() - 1).seederBytes += delta;
      return;
    }
    long given = 0;
    for (int i = 0; i < storms.size(); i++) {
      long share = i == storms.size() - 1 ? delta - given : (long) ((double) delta * growth[i] / sum);
      storms.get(i).seederBytes += share;
      given += share;
    }
  }

  private void ingestImage(ImageEvent event) {
    ImageManifest m = event.getImage();
    String hash = m.getInfoHash().toLowerCase(Locale.ROOT);
    if (event.getType() == ImageEvent.Type.REMOVED) {
      images.remove(hash);
    } else if (!hash.isEmpty()) {
      images.put(hash, new ImageInfo(intern(m.getName()), m.getTotalSize()));
    }
  }

  private void keepFinished(StormView view) {
    finished.removeIf(s -> s.getId().equals(view.getId()));
    finished.addLast(view);
    while (finished.size() > limits.maxStorms()) {
      finished.removeFirst();
    }
  }

  /** The seeders' addresses and listen ports, for telling seeder bytes from peer bytes ({@link SeederEndpoints}). */
  public SeederEndpoints seederEndpoints() {
    Set<PeerSource.Peer> endpoints = new LinkedHashSet<>();
    Set<Integer> portsAlone = new LinkedHashSet<>();
    for (SeederState s : seeders.values()) {
      int port = s.status().getListenPort();
      if (port <= 0) {
        continue;
      }
      List<PeerSource.Peer> literal = s.status().getAddressesList().stream()
          .filter(TelemetryModel::isIpLiteral).map(ip -> new PeerSource.Peer(ip, port)).toList();
      if (literal.isEmpty()) {
        portsAlone.add(port);
      } else {
        endpoints.addAll(literal);
      }
    }
    return new SeederEndpoints(endpoints, portsAlone);
  }

  /** An IPv4 or IPv6 literal, as libtorrent writes the agents' peers (no name lookups here). */
  static boolean isIpLiteral(String host) {
    return host.matches("\\d{1,3}(\\.\\d{1,3}){3}") || (host.contains(":") && host.matches("[0-9A-Fa-f:.]+"));
  }

  // ------------------------------------------------------------------------------------ queries

  /** The latest {@code limit} matching events of the global ring, oldest first. */
  public EventList events(EventQuery query, int limit) {
    List<LoggedEntry> out = latest(query, limit);
    EventList.Builder b = EventList.newBuilder();
    for (LoggedEntry e : out) {
      b.addEvents(e.event());
    }
    return b.build();
  }

  /** The latest {@code limit} matching entries of the global ring, oldest first. */
  public List<LoggedEntry> latest(EventQuery query, int limit) {
    List<LoggedEntry> out = new ArrayList<>(Math.min(limit, 256));
    for (Iterator<LoggedEntry> it = log.descendingIterator(); it.hasNext() && out.size() < limit; ) {
      LoggedEntry e = it.next();
      if (query.matches(e)) {
        out.add(e);
      }
    }
    Collections.reverse(out);
    return out;
  }

  /** Matching entries of the global ring after {@code seq}, oldest first (an SSE client's Last-Event-ID). */
  public List<LoggedEntry> after(EventQuery query, long seq, int limit) {
    List<LoggedEntry> out = new ArrayList<>();
    for (LoggedEntry e : log) {
      if (e.seq > seq && query.matches(e)) {
        out.add(e);
      }
    }
    return out.size() > limit ? out.subList(out.size() - limit, out.size()) : out;
  }

  /** Matching machines, most recently seen first, {@code limit} from {@code offset}, with the total. */
  public MachineList machines(MachineQuery query, int offset, int limit) {
    long now = clock.millis();
    SeederEndpoints endpoints = seederEndpoints();
    Machine[] all = machines.values().toArray(new Machine[0]);
    MachineList.Builder b = MachineList.newBuilder().setOffset(offset).setLimit(limit);
    int total = 0;
    for (int i = all.length - 1; i >= 0; i--) {
      if (query.matches(all[i], now, limits.stallMs())) {
        if (total >= offset && total - offset < limit) {
          b.addMachines(all[i].view(now, limits.stallMs(), endpoints));
        }
        total++;
      }
    }
    return b.setTotal(total).build();
  }

  /** A machine (by any spelling of its MAC, or another hardware address as DHCP wrote it) and its events. */
  public Optional<MachineDetail> machine(String mac) {
    String key = machineKey(mac);
    Machine m = key == null ? null : machines.get(key);
    if (m == null) {
      return Optional.empty();
    }
    MachineDetail.Builder b = MachineDetail.newBuilder()
        .setMachine(m.view(clock.millis(), limits.stallMs(), seederEndpoints()));
    for (LoggedEntry e : m.ring) {
      b.addEvents(e.event());
    }
    return Optional.of(b.build());
  }

  /** Running storms (newest first), then finished ones (newest first). */
  public StormList storms() {
    SeederEndpoints endpoints = seederEndpoints();
    StormList.Builder b = StormList.newBuilder();
    List<Storm> live = new ArrayList<>(running.values());
    Collections.reverse(live);
    for (Storm s : live) {
      b.addStorms(s.view(endpoints, false, 0));
    }
    for (Iterator<StormView> it = finished.descendingIterator(); it.hasNext(); ) {
      b.addStorms(it.next());
    }
    return b.build();
  }

  /** Every swarm an image, the tracker or a seeder named, by info-hash. */
  public SwarmList swarms() {
    long now = clock.millis();
    Map<String, SwarmView.Builder> views = new TreeMap<>();
    images.forEach((hash, info) -> view(views, hash).setImage(info.name()).setImageSize(info.size()).setInCatalog(true));
    swarmStats.forEach((hash, record) -> {
      SwarmStats s = record.getSwarmStats();
      view(views, hash).setSeeds(s.getComplete()).setLeechers(s.getIncomplete())
          .setSwarmSize(s.getComplete() + s.getIncomplete()).setDownloaded(s.getDownloaded())
          .setUpdatedMs(record.getReceivedMs());
    });
    for (SeederState seeder : seeders.values()) {
      boolean live = now - seeder.receivedMs() <= limits.stallMs();
      for (TorrentStatus t : seeder.status().getTorrentsList()) {
        SwarmView.Builder v = view(views, t.getInfoHash().toLowerCase(Locale.ROOT));
        if (v.getImage().isEmpty()) {
          v.setImage(t.getName());
        }
        if (v.getSeeds() < 0 && t.getSwarmSeeds() >= 0 && t.getSwarmLeechers() >= 0) {
          v.setSeeds(t.getSwarmSeeds()).setLeechers(t.getSwarmLeechers())
              .setSwarmSize(t.getSwarmSeeds() + t.getSwarmLeechers());
        }
        if (live) {
          v.setSeeders(v.getSeeders() + 1).setSeederUploaded(v.getSeederUploaded() + t.getTotalUploaded())
              .setSeederUploadRate(v.getSeederUploadRate() + t.getUploadRate())
              .setUpdatedMs(Math.max(v.getUpdatedMs(), seeder.receivedMs()));
        }
      }
    }
    SwarmList.Builder b = SwarmList.newBuilder();
    views.values().forEach(b::addSwarms);
    return b.build();
  }

  private static SwarmView.Builder view(Map<String, SwarmView.Builder> views, String hash) {
    return views.computeIfAbsent(hash, h -> SwarmView.newBuilder().setInfoHash(h).setSeeds(-1).setLeechers(-1)
        .setSwarmSize(-1));
  }

  public int machineCount() {
    return machines.size();
  }

  public int logSize() {
    return log.size();
  }

  public long eventsIngested() {
    return eventsIngested;
  }

  /** Bytes the events held take, as {@code eventMemoryBytes} counts them ({@link #entryCost}). */
  public long heldEventBytes() {
    return heldBytes;
  }

  /** Events dropped so far to stay within {@code eventMemoryBytes}. */
  public long eventsEvictedForBytes() {
    return evictedForBytes;
  }

  // ---------------------------------------------------------------------------------- snapshots

  /**
   * The whole state as journal records, to replace the journal (compaction): a header, the images,
   * the last status of each seeder and stats of each swarm, the machines (least recently seen first),
   * the storms (running ones too) and the events of the rings (oldest first). Replayed into an empty
   * model, they rebuild this one.
   */
  public List<TelemetryRecord> snapshot() {
    long now = clock.millis();
    List<TelemetryRecord> out = new ArrayList<>();
    out.add(TelemetryRecord.newBuilder().setReceivedMs(now)
        .setSnapshot(SnapshotHeader.newBuilder().setNextSeq(nextSeq).setTakenMs(now)).build());
    images.forEach((hash, info) -> out.add(TelemetryRecord.newBuilder().setReceivedMs(now).setImageEvent(
        ImageEvent.newBuilder().setType(ImageEvent.Type.ADDED).setImage(ImageManifest.newBuilder()
            .setName(info.name()).setInfoHash(hash).setTotalSize(info.size()))).build()));
    for (SeederState s : seeders.values()) {
      out.add(TelemetryRecord.newBuilder().setReceivedMs(s.receivedMs()).setSeederStatus(s.status()).build());
    }
    out.addAll(swarmStats.values());
    SeederEndpoints endpoints = seederEndpoints();
    for (Machine m : machines.values()) {
      out.add(TelemetryRecord.newBuilder().setReceivedMs(m.lastSeenMs)
          .setMachine(m.view(now, limits.stallMs(), endpoints)).build());
    }
    for (StormView s : finished) {
      out.add(TelemetryRecord.newBuilder().setReceivedMs(s.getFinishedMs()).setStorm(s).build());
    }
    for (Storm s : running.values()) {
      out.add(TelemetryRecord.newBuilder().setReceivedMs(now).setStorm(s.view(endpoints, false, 0)).build());
    }
    List<LoggedEntry> entries = new ArrayList<>(log);
    for (Machine m : machines.values()) {
      for (LoggedEntry e : m.ring) {
        if (!e.inLog) {
          entries.add(e);
        }
      }
    }
    for (LoggedEntry e : orphans) {
      if (!e.inLog) {
        entries.add(e);
      }
    }
    entries.sort(Comparator.comparingLong(LoggedEntry::seq));
    for (LoggedEntry e : entries) {
      LoggedEvent.Builder logged = LoggedEvent.newBuilder().setSeq(e.seq)
          .setEvent(UnsafeByteOperations.unsafeWrap(e.bytes)).setInLog(e.inLog).setInMachine(e.inMachine)
          .setOrphan(e.orphan);
      if (e.machine != null) {
        logged.setMachine(e.machine);
      }
      out.add(TelemetryRecord.newBuilder().setReceivedMs(e.receivedMs).setLogged(logged).build());
    }
    return out;
  }

  private void reset(long seq) {
    machines.clear();
    machineByIp.clear();
    log.clear();
    orphans.clear();
    running.clear();
    finished.clear();
    seeders.clear();
    swarmStats.clear();
    images.clear();
    byAge.clear();
    releasedInByAge = 0;
    heldBytes = 0;
    nextSeq = seq;
  }

  private void restoreMachine(MachineView view) {
    Machine m = Machine.restore(view);
    machines.remove(m.key);
    machines.put(m.key, m);
    if (!m.ip.isEmpty()) {
      machineByIp.put(m.ip, m.key);
    }
  }

  private void restoreStorm(StormView view) {
    if (view.getFinished()) {
      running.remove(view.getId());
      keepFinished(view);
    } else {
      Storm storm = Storm.restore(view);
      running.put(storm.id, storm);
    }
  }

  private void restoreLogged(LoggedEvent logged, long t) {
    BootEvent event;
    try {
      event = BootEvent.parseFrom(logged.getEvent());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("a snapshot's event does not parse", e);
    }
    String machine = logged.getMachine().isEmpty() ? null : logged.getMachine();
    LoggedEntry entry = new LoggedEntry(logged.getSeq(), t, event, logged.getEvent().toByteArray(), machine,
        intern(event.getImage()));
    nextSeq = Math.max(nextSeq, entry.seq + 1);
    if (logged.getInLog()) {
      addToLog(entry);
    }
    Machine m = machine == null ? null : machines.get(machine);
    if (logged.getInMachine() && m != null) {
      entry.inMachine = true;
      m.ring.addLast(entry);
    }
    if (logged.getOrphan()) {
      entry.orphan = true;
      orphans.addLast(entry);
    }
    if (entry.inLog || entry.inMachine || entry.orphan) {
      hold(entry);
      enforceBytes();
    }
  }

  // ------------------------------------------------------------------------------------ helpers

  /**
   * The key of a machine: its canonical MAC, or (a hardware address that is not a 6-byte MAC, from
   * DHCP) the address in lower case; null for none.
   */
  public static String machineKey(String mac) {
    if (mac == null || mac.isBlank()) {
      return null;
    }
    return MacAddress.tryParse(mac).map(MacAddress::canonical).orElse(mac.trim().toLowerCase(Locale.ROOT));
  }

  private String intern(String name) {
    if (name.isEmpty()) {
      return "";
    }
    if (names.size() >= MAX_NAMES && !names.containsKey(name)) {
      names.clear();
    }
    String known = names.putIfAbsent(name, name);
    return known == null ? name : known;
  }
}
