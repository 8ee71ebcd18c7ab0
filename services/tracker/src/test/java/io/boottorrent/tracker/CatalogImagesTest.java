package io.boottorrent.tracker;

import static io.boottorrent.tracker.CatalogImages.Verdict.CATALOG_NOT_HEARD;
import static io.boottorrent.tracker.CatalogImages.Verdict.NOT_IN_CATALOG;
import static io.boottorrent.tracker.CatalogImages.Verdict.TRACKED;
import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.core.InfoHash;
import io.boottorrent.tracker.protocol.AnnounceQuery;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CatalogImagesTest {
  private static final InfoHash DEMO = new InfoHash(AnnounceQuery.id(1));
  private static final InfoHash RESCUE = new InfoHash(AnnounceQuery.id(2));
  private static final InfoHash STRANGER = new InfoHash(AnnounceQuery.id(3));

  private final CatalogImages images = new CatalogImages();

  @Test
  void tracksNothingBeforeTheCatalogListArrivesAndSaysSo() {
    // GIVEN no catalog heard yet THEN any hash is "not heard", never tracked
    assertThat(images.listed()).isFalse();
    assertThat(images.verdict(DEMO)).isEqualTo(CATALOG_NOT_HEARD);

    // WHEN the list arrives THEN its images are tracked and every other hash is not a catalog image
    images.list(Map.of("demo", DEMO, "rescue", RESCUE));
    assertThat(images.listed()).isTrue();
    assertThat(images.verdict(DEMO)).isEqualTo(TRACKED);
    assertThat(images.verdict(RESCUE)).isEqualTo(TRACKED);
    assertThat(images.verdict(STRANGER)).isEqualTo(NOT_IN_CATALOG);
    assertThat(images.size()).isEqualTo(2);
  }

  @Test
  void anEmptyCatalogIsHeardToo() {
    images.list(Map.of());
    assertThat(images.verdict(DEMO)).isEqualTo(NOT_IN_CATALOG);
  }

  @Test
  void followsAddedAndRemovedEventsAndNamesTheHashToDrop() {
    images.list(Map.of("demo", DEMO));
    // WHEN an image is added THEN it is tracked, nothing to drop
    assertThat(images.added("rescue", RESCUE)).isEmpty();
    assertThat(images.verdict(RESCUE)).isEqualTo(TRACKED);
    // WHEN removed (by name and hash) THEN its hash is to be dropped and no longer tracked
    assertThat(images.removed("rescue", Optional.of(RESCUE))).contains(RESCUE);
    assertThat(images.verdict(RESCUE)).isEqualTo(NOT_IN_CATALOG);
    // AND a removal naming only the image finds its hash
    assertThat(images.removed("demo", Optional.empty())).contains(DEMO);
    assertThat(images.verdict(DEMO)).isEqualTo(NOT_IN_CATALOG);
    // AND a removal of something never heard of names nothing to drop
    assertThat(images.removed("ghost", Optional.empty())).isEmpty();
  }

  @Test
  void anImageReplacedUnderItsNameDropsTheOldHash() {
    images.list(Map.of("demo", DEMO));
    assertThat(images.added("demo", RESCUE)).contains(DEMO);
    assertThat(images.verdict(DEMO)).isEqualTo(NOT_IN_CATALOG);
    assertThat(images.verdict(RESCUE)).isEqualTo(TRACKED);
    // the same event twice changes nothing
    assertThat(images.added("demo", RESCUE)).isEmpty();
  }

  @Test
  void eventsBeforeTheListWinOverTheListWhichMayBeOlder() {
    // GIVEN rescue added and demo removed while the list request was in flight
    assertThat(images.added("rescue", RESCUE)).isEmpty();
    assertThat(images.verdict(RESCUE)).as("an added image is tracked at once").isEqualTo(TRACKED);
    images.removed("demo", Optional.of(DEMO));

    // WHEN the list, taken before both events, arrives
    images.list(Map.of("demo", DEMO));

    // THEN rescue stays tracked and demo is not revived
    assertThat(images.verdict(RESCUE)).isEqualTo(TRACKED);
    assertThat(images.verdict(DEMO)).isEqualTo(NOT_IN_CATALOG);
  }

  @Test
  void aHashUnderTwoNamesStaysTrackedUntilBothAreGone() {
    images.list(Map.of("a", DEMO, "b", DEMO));
    assertThat(images.removed("a", Optional.of(DEMO))).isEmpty();
    assertThat(images.verdict(DEMO)).isEqualTo(TRACKED);
    assertThat(images.removed("b", Optional.of(DEMO))).contains(DEMO);
  }

  @Test
  void aRefreshAddsWhatTheTrackerHadNotHeardButNeverRevivesAnImageRemovedMeanwhile() {
    images.list(java.util.Map.of("demo", DEMO));
    images.refreshStarted();
    images.removed("demo", java.util.Optional.of(DEMO));
    // the answer was taken before the removal: it still lists demo, and names rescue
    images.refreshed(java.util.Map.of("demo", DEMO, "rescue", RESCUE));
    assertThat(images.verdict(DEMO)).isEqualTo(CatalogImages.Verdict.NOT_IN_CATALOG);
    assertThat(images.verdict(RESCUE)).isEqualTo(CatalogImages.Verdict.TRACKED);
    // a failed refresh changes nothing, and a later removal is not remembered by a finished refresh
    images.refreshStarted();
    images.refreshed(null);
    images.removed("rescue", java.util.Optional.of(RESCUE));
    images.refreshed(java.util.Map.of("rescue", RESCUE)); // no refresh in flight: ignored
    assertThat(images.verdict(RESCUE)).isEqualTo(CatalogImages.Verdict.NOT_IN_CATALOG);
  }
}
