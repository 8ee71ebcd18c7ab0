package io.boottorrent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.agent.AgentResult;
import io.boottorrent.proto.AddImageRequest;
import io.boottorrent.proto.ImageKind;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.proto.TorrentStatus;
import io.boottorrent.testsupport.BootDisk;
import io.boottorrent.testsupport.Gate;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streaming boot (issue 15) end to end: a 1 GiB bootable disk (syslinux, Debian's kernel, a busybox
 * initrd that prints {@link BootDisk#MARKER} and powers off) as a qemu image, seeded at 16 MiB/s, so
 * the full download takes over a minute. The agent starts QEMU (TCG) on its NBD export as soon as the
 * torrent is added; the guest reaches the marker long before the download completes, which is then
 * verified.
 */
class StreamingBootTest {
  static final long SEEDER_CAP = 16L << 20;

  @TempDir Path dir;

  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void aQemuImageBootsFromTheSwarmBeforeItsDownloadCompletesAndIsVerifiedAfter() throws Exception {
    Gate.requireCommand("qemu-system-x86_64", "qemu-system-x86");
    BootDisk disk = BootDisk.build(dir.resolve("data/import/streamer")); // the catalog imports from data/import
    try (Stack stack = new Stack(dir, SEEDER_CAP, false)) {
      Path serial = dir.resolve("serial.log");
      ImageManifest image = stack.add(AddImageRequest.newBuilder().setName("streamer").setKind(ImageKind.QEMU)
          .setDisk(disk.image().toString()).addAllArgs(List.of("-serial", "file:" + serial, "-monitor", "none", "-no-reboot", "-nic", "none"))
          .setPieceLength(1 << 20).build());
      stack.seeder.catalogSynced().await();

      long start = System.nanoTime();
      java.io.ByteArrayOutputStream console = new java.io.ByteArrayOutputStream();
      Future<AgentResult> run = stack.agent(1, new JsonObject().put("image", "streamer").put("launcher", "auto")
          .put("qemuAccel", "tcg"), new java.io.PrintStream(console, true)); // agent.streaming auto: 1 GiB is over streamingMinBytes
      // WHEN the guest prints its marker
      double marker = -1;
      long seededAtMarker = -1;
      while (System.nanoTime() - start < TimeUnit.MINUTES.toNanos(3) && !run.isComplete()) {
        if (Files.exists(serial) && Files.readString(serial).contains(BootDisk.MARKER)) {
          marker = (System.nanoTime() - start) / 1e9;
          seededAtMarker = seederUploaded(stack, image);
          break;
        }
        Thread.sleep(100);
      }
      assertThat(marker).as("seconds to the marker (serial: %s)", Files.exists(serial) ? Files.readString(serial) : "none")
          .isPositive();
      // THEN it came long before the whole image could have, with a tenth of it sent at most: the boot
      // reads ~10 MB, and the background download waits until its reads pause for 5 s (27 MiB, 2.6 %,
      // sent at the marker here; the bench's target is 5 %: a loaded machine's kernel start may pause
      // the reads for longer, and the background then fills the link until the marker)
      System.out.printf("streaming boot: marker after %.1f s with %.1f MiB of %.0f MiB sent by the seeder%n", marker,
          seededAtMarker / 1048576.0, image.getTotalSize() / 1048576.0);
      assertThat(seededAtMarker).isLessThan(image.getTotalSize() / 10);
      // AND the agent's uploads are not capped yet: its requests share the capped channel (see stream())
      assertThat(console.toString()).doesNotContain("seeding while the OS runs");
      // AND QEMU reads its disk over the agent's Unix socket, and the agent yielded the CPU to it (the
      // agent runs in this JVM: every thread of the fork is at nice 10 from here on, QEMU as it was)
      assertThat(console.toString()).contains("streaming streamer from nbd+unix:///disk?socket=")
          .containsPattern("the OS first: (nice \\d+ -> 10 for \\d+ thread\\(s\\)|already at nice \\d+)");

      // AND the boot ends once the download completed and the image verified
      AgentResult result = run.await();
      double total = (System.nanoTime() - start) / 1e9;
      System.out.printf("streaming boot: verified after %.1f s%n", total);
      assertThat(result.launcher()).isEqualTo("qemu");
      assertThat(result.exitCode()).isZero();
      assertThat(total).isGreaterThan(marker);
      // the agent sent its events before its result; the catalog hands them to telemetry over the bus
      List<String> stages = stages(stack);
      for (int i = 0; i < 50 && !stages.contains("SEEDING_DONE"); i++) {
        Thread.sleep(100);
        stages = stages(stack);
      }
      assertThat(stages).containsSubsequence("DOWNLOAD_STARTED", "STREAM_STARTED", "LAUNCHING", "DOWNLOAD_COMPLETE",
          "VERIFIED", "SEEDING_DONE");
      assertThat(stages).doesNotContain("FAILED");
      // AND the boot's reads are the image's boot profile now, in the catalog: what a later machine asks
      // for first (the first sector first: SeaBIOS reads the MBR; the boot reads ~10 MB, 11 of the 1 MiB
      // pieces, plus what QEMU's block layer merges around them)
      JsonObject profile = new JsonObject(stack.get("/api/v1/images/streamer/boot-profile"));
      assertThat(profile.getString("infoHash")).isEqualTo(image.getInfoHash());
      assertThat(profile.getString("recordedBy")).isEqualTo("02:00:00:00:00:01");
      JsonArray pieces = profile.getJsonArray("pieces");
      assertThat(pieces.getInteger(0)).as("profile %s", profile).isZero();
      assertThat(pieces.size()).as("profile %s", profile).isBetween(5, 64);
      // AND agent.seedWhileRunningLimit came once the image was complete
      String said = console.toString();
      assertThat(said.indexOf("seeding while the OS runs at up to 8.0 MiB/s")).as(said)
          .isGreaterThan(said.indexOf("streamer downloaded: "));
      assertThat(said.indexOf("streamer downloaded: ")).as(said).isPositive();
    }
  }

  private static List<String> stages(Stack stack) throws Exception {
    JsonArray events = new JsonObject(stack.telemetry("/api/v1/events?limit=10000")).getJsonArray("events");
    return events.stream().map(JsonObject.class::cast)
        .filter(e -> "02:00:00:00:00:01".equals(e.getString("mac")))
        .sorted(java.util.Comparator.comparingLong(e -> Long.parseLong(String.valueOf(e.getValue("timestampMs")))))
        .map(e -> e.getString("stage")).filter(st -> !st.equals("DOWNLOAD_PROGRESS")).toList();
  }

    private static long seederUploaded(Stack stack, ImageManifest image) {
    return stack.seeder.status().await().getTorrentsList().stream()
        .filter(t -> t.getInfoHash().equals(image.getInfoHash())).mapToLong(TorrentStatus::getTotalUploaded)
        .findFirst().orElse(0);
  }
}
