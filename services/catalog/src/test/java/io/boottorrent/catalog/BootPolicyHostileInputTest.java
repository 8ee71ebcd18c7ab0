package io.boottorrent.catalog;

import static io.boottorrent.testsupport.HostileInput.property;
import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.proto.BootPolicy;
import io.boottorrent.proto.BootRule;
import io.boottorrent.proto.ImageManifest;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Hostile input for the boot policy an operator PUTs (docs/SECURITY.md, "Hostile input"): whatever
 * the parsed body holds, {@link BootPolicies#validate} returns a normalised policy or throws
 * {@link CatalogException} (400/422) — nothing else, in bounded time and heap linear in the policy;
 * validating its own output changes nothing; and every machine gets an assignment from it.
 * (The body's parsing itself is ProtoBodyHostileInputTest's, in services/server.)
 */
class BootPolicyHostileInputTest {
  static final Set<String> IMAGES = Set.of("debian", "rescue");
  static final List<ImageManifest> MANIFESTS = IMAGES.stream()
      .map(n -> ImageManifest.newBuilder().setName(n).build()).toList();
  static final List<String> MACS = List.of("02:42:0a:d5:63:02", "02-42-0A-D5-63-03", "0242.0ad5.6304", "0242ad563",
      " 02:42:0a:d5:63:05 ", "", "zz:zz:zz:zz:zz:zz", "02:42:0a:d5:63:02:00");
  static final List<String> NAMES = List.of("debian", "rescue", "missing", "", " debian", "lab", " lab ", "x".repeat(200));

  static String any(Random r, List<String> from) {
    return from.get(r.nextInt(from.size()));
  }

  static BootPolicy policy(Random r) {
    BootPolicy.Builder p = BootPolicy.newBuilder()
        .setDefaultImage(r.nextInt(4) == 0 ? any(r, NAMES) : "debian")
        .setMenuTimeoutSeconds(r.nextInt(4) == 0 ? r.nextInt() : r.nextInt(30));
    int rules = r.nextInt(6);
    for (int i = 0; i < rules; i++) {
      BootRule.Builder rule = BootRule.newBuilder();
      if (r.nextBoolean()) {
        rule.setMac(any(r, MACS));
      }
      if (r.nextBoolean()) {
        rule.setGroup(any(r, NAMES));
      }
      rule.setImage(r.nextInt(3) == 0 ? any(r, NAMES) : "rescue");
      int menu = r.nextInt(4);
      for (int m = 0; m < menu; m++) {
        rule.addMenu(r.nextInt(4) == 0 ? any(r, NAMES) : "debian");
      }
      rule.setMenuTimeoutSeconds(r.nextInt(4) == 0 ? r.nextInt() : r.nextInt(5) - 1);
      rule.setSkipMenu(r.nextBoolean()).setPieceStripes(r.nextInt(3) == 0);
      p.addRules(rule);
    }
    int groups = r.nextInt(5);
    for (int i = 0; i < groups; i++) {
      p.putGroups(any(r, MACS), any(r, NAMES));
    }
    return p.build();
  }

  /** What validate promises of its output (its javadoc), checked field by field. */
  static void assertNormalised(BootPolicy p) {
    assertThat(p.getDefaultImage()).satisfiesAnyOf(d -> assertThat(d).isEmpty(), d -> assertThat(IMAGES).contains(d));
    assertThat(p.getMenuTimeoutSeconds()).isNotNegative();
    for (BootRule rule : p.getRulesList()) {
      assertThat(rule.getMac().isEmpty()).isNotEqualTo(rule.getGroup().isEmpty());
      if (!rule.getMac().isEmpty()) {
        assertThat(rule.getMac()).matches("([0-9a-f]{2}:){5}[0-9a-f]{2}");
        assertThat(rule.getPieceStripes()).isFalse();
      } else {
        assertThat(rule.getGroup()).isEqualTo(rule.getGroup().trim()).isNotEmpty();
      }
      assertThat(rule.getMenuList()).doesNotHaveDuplicates().allSatisfy(m -> assertThat(IMAGES).contains(m));
      assertThat(rule.getMenuTimeoutSeconds()).isGreaterThanOrEqualTo(-1);
    }
    p.getGroupsMap().forEach((mac, group) -> {
      assertThat(mac).matches("([0-9a-f]{2}:){5}[0-9a-f]{2}");
      assertThat(group).isEqualTo(group.trim()).isNotEmpty();
    });
  }

  @Test
  @DisplayName("arbitrary policies: normalised, idempotent and assignable, or CatalogException")
  void arbitraryPoliciesValidateOrFailWithCatalogException() {
    property("BootPolicies.validate", BootPolicyHostileInputTest::policy)
        .tries(3000)
        .allocationBudget(p -> (1L << 20) + 64L * p.getSerializedSize())
        .check(p -> {
          BootPolicy valid;
          try {
            valid = BootPolicies.validate(p, IMAGES);
          } catch (CatalogException refused) {
            assertThat(refused.getMessage()).isNotBlank();
            return;
          }
          assertNormalised(valid);
          assertThat(BootPolicies.validate(valid, IMAGES)).isEqualTo(valid);
          for (String mac : List.of("02:42:0a:d5:63:02", "02:42:0a:d5:63:03", "02:42:0a:d5:63:99")) {
            assertThat(BootPolicies.assign(valid, mac, MANIFESTS).getMac()).isEqualTo(mac);
          }
        });
  }
}
