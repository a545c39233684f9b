package io.nvframe.backend.btt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.MediaCorruptedException;
import io.nvframe.api.NvframeIOException;
import io.nvframe.spi.Medium;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The corruption matrix (module README, one row per test): damage a 3-arena BTT, assert the exact
 * diagnosis of {@link BttCheck}, what open does, and what {@link BttCheck#repair} fixes.
 */
class BttCorruptionTest {
  private static final int BS = 4096;
  private Medium m;
  private Btt btt;

  @BeforeEach
  void setUp() {
    m = Support.heap(10 * Support.MIB + Support.MIB / 2);
    btt = Btt.format(m, 0, m.size(), Support.small(BS), Support.smallOptions());
    assertEquals(3, btt.arenaCount());
    long n = btt.blockCount();
    for (long lba = 0; lba < n; lba += 41) {
      btt.write(lba, Support.pattern(lba, 1, BS), 0);
    }
    for (long lba = 0; lba < n; lba += 82) {
      btt.write(lba, Support.pattern(lba, 2, BS), 0);
    }
    assertTrue(check().consistent(), check().problems().toString());
  }

  @AfterEach
  void tearDown() {
    m.close();
  }

  // ------------------------------------------------------------------ helpers

  private BttCheck.Report check() {
    return BttCheck.check(m, 0, m.size(), Support.smallOptions());
  }

  private BttCheck.Report repair() {
    return BttCheck.repair(m, 0, m.size(), Support.smallOptions());
  }

  private Btt reopen() {
    return Btt.open(m, 0, m.size(), Support.smallOptions());
  }

  private long arenaStart(int a) {
    return btt.arenaOffset(a);
  }

  private long backupAt(int a) {
    return arenaStart(a) + btt.arenaInfo(a).infoOff();
  }

  private void flipByte(long at) {
    byte[] b = new byte[1];
    m.read(at, b, 0, 1);
    b[0] ^= 0x5a;
    m.write(at, b, 0, 1);
  }

  /** Sets a field of the info block at {@code at} and regenerates its checksum. */
  private void setField(long at, int field, int width, long value) {
    byte[] raw = new byte[BttInfo.SIZE];
    m.read(at, raw, 0, raw.length);
    if (width == 2) {
      Le.put16(raw, field, (int) value);
    } else if (width == 4) {
      Le.put32(raw, field, (int) value);
    } else {
      Le.put64(raw, field, value);
    }
    Le.put64(raw, BttInfo.CHECKSUM_OFFSET, Fletcher64.compute(raw, BttInfo.SIZE, BttInfo.CHECKSUM_OFFSET));
    m.write(at, raw, 0, raw.length);
  }

  /** Offset of the current flog entry of {@code lane} in arena {@code a}. */
  private long currentEntry(int a, int lane) {
    BttInfo info = btt.arenaInfo(a);
    long slot = arenaStart(a) + info.flogOff() + (long) lane * Flog.SLOT;
    Flog.Entry e0 = Flog.Entry.read(m, slot);
    Flog.Entry e1 = Flog.Entry.read(m, slot + 16);
    return Flog.current(e0, e1, new StringBuilder()) == 0 ? slot : slot + 16;
  }

  /** A lane of arena 0 whose current entry records a write (old != new). */
  private int usedLane() {
    for (int lane = 0; lane < 16; lane++) {
      Flog.Entry e = Flog.Entry.read(m, currentEntry(0, lane));
      if (e.oldPost() != e.newPost()) {
        return lane;
      }
    }
    throw new AssertionError("no used lane");
  }

  private long mapAt(int a, int premap) {
    return arenaStart(a) + btt.arenaInfo(a).mapOff() + 4L * premap;
  }

  private static List<String> codes(BttCheck.Report r) {
    return r.problems().stream().map(BttCheck.Problem::code).distinct().sorted().collect(Collectors.toList());
  }

  private static BttCheck.Problem only(BttCheck.Report r) {
    assertEquals(1, r.problems().size(), r.problems().toString());
    return r.problems().get(0);
  }

  private void assertRepairsTo(String repairFragment) {
    BttCheck.Report r = repair();
    assertTrue(r.repairs().stream().anyMatch(s -> s.contains(repairFragment)), r.repairs().toString());
    assertTrue(r.consistent(), r.problems().toString());
  }

  private void assertContentIntact(Btt b) {
    long n = b.blockCount();
    for (long lba = 0; lba < n; lba += 41) {
      assertArrayEquals(Support.pattern(lba, lba % 82 == 0 ? 2 : 1, BS), Support.read(b, lba), "lba " + lba);
    }
  }

  // ------------------------------------------------------------------ info blocks

  @Test
  void primaryInfoBadSignatureArena0() {
    flipByte(3);
    BttCheck.Problem p = only(check());
    assertEquals("INFO_SIG", p.code());
    assertEquals(0, p.arena());
    assertTrue(p.message().startsWith("primary info at 0"), p.message());
    assertTrue(p.repairable());
    Btt b = reopen();
    assertTrue(b.recoveryActions().get(0).startsWith("arena 0: primary info restored from the backup"));
    assertContentIntact(b);
    assertTrue(check().consistent());
  }

  @Test
  void primaryInfoBadChecksumArena0() {
    flipByte(2000);
    BttCheck.Problem p = only(check());
    assertEquals("INFO_CSUM", p.code());
    assertTrue(p.repairable());
    assertRepairsTo("arena 0: primary info at 0 restored from the backup");
    assertContentIntact(reopen());
  }

  @Test
  void backupInfoBadSignatureArena0() {
    flipByte(backupAt(0));
    BttCheck.Problem p = only(check());
    assertEquals("INFO_SIG", p.code());
    assertTrue(p.message().startsWith("backup info at " + backupAt(0)), p.message());
    assertTrue(p.repairable());
    assertContentIntact(reopen());
    assertRepairsTo("arena 0: backup info at " + backupAt(0) + " restored from the primary");
  }

  @Test
  void backupInfoBadChecksumArena0() {
    flipByte(backupAt(0) + 100);
    assertEquals("INFO_CSUM", only(check()).code());
    assertRepairsTo("backup info at " + backupAt(0) + " restored");
  }

  @Test
  void bothInfoBlocksBadArena0() {
    flipByte(3);
    flipByte(backupAt(0) + 100);
    BttCheck.Report r = check();
    assertEquals(List.of("INFO_CSUM", "INFO_SIG"), codes(r));
    assertTrue(r.problems().stream().noneMatch(BttCheck.Problem::repairable));
    MediaCorruptedException e = assertThrows(MediaCorruptedException.class, this::reopen);
    assertEquals(ErrorCode.HEADER_CORRUPT, e.code());
    assertTrue(e.getMessage().contains("BTT arena 0 at offset 0"), e.getMessage());
    BttCheck.Report after = repair();
    assertEquals(List.of(), after.repairs());
    assertFalse(after.consistent());
  }

  @Test
  void primaryInfoBadInALaterArena() {
    flipByte(arenaStart(2) + 1000);
    BttCheck.Problem p = only(check());
    assertEquals(2, p.arena());
    assertEquals("INFO_CSUM", p.code());
    Btt b = reopen();
    assertEquals(List.of("arena 2: primary info restored from the backup (INFO_CSUM"),
        b.recoveryActions().stream().map(s -> s.substring(0, s.indexOf("INFO_CSUM") + 9)).toList());
    assertContentIntact(b);
    assertTrue(check().consistent());
  }

  @Test
  void bothInfoBlocksBadInALaterArena() {
    flipByte(arenaStart(2) + 1000);
    flipByte(backupAt(2) + 1000);
    BttCheck.Report r = check();
    assertTrue(r.problems().stream().allMatch(p -> p.arena() == 2 && p.code().equals("INFO_CSUM") && !p.repairable()),
        r.problems().toString());
    assertEquals(2, r.problems().size());
    MediaCorruptedException e = assertThrows(MediaCorruptedException.class, this::reopen);
    assertTrue(e.getMessage().contains("BTT arena 2 at offset " + arenaStart(2)), e.getMessage());
  }

  /** Each info field corrupted alone, checksum regenerated (PMDK libpmempool_bttdev TEST0-11). */
  @ParameterizedTest(name = "{0} = {3}")
  @CsvSource({
    "major,            52, 2, 0,          INFO_VERSION, version 0.",
    "flags,            48, 4, 6,          INFO_FIELD,   flags 0x6",
    "external_lbasize, 56, 4, 8192,       INFO_FIELD,   external_lbasize 8192 differs from arena 0's 4096",
    "external_nlba,    60, 4, 5,          INFO_FIELD,   external_nlba 5 + nfree 16",
    "internal_lbasize, 64, 4, 100,        INFO_FIELD,   internal_lbasize 100",
    "internal_nlba,    68, 4, 0,          INFO_FIELD,   internal_nlba 0",
    "nfree,            72, 4, 0,          INFO_FIELD,   nfree 0",
    "infosize,         76, 4, 512,        INFO_FIELD,   infosize 512",
    "nextoff,          80, 8, 12345,      INFO_FIELD,   nextoff 12345",
    "dataoff,          88, 8, 8192,       INFO_FIELD,   dataoff 8192",
    "mapoff,           96, 8, 4096,       INFO_FIELD,   mapoff 4096",
    "flogoff,         104, 8, 4096,       INFO_FIELD,   flogoff 4096",
    "infooff,         112, 8, 999999999,  INFO_FIELD,   infooff 999999999",
  })
  void oneInfoFieldCorrupted(String field, int offset, int width, long value, String code, String fragment) {
    setField(arenaStart(1), offset, width, value);
    BttCheck.Report r = check();
    assertTrue(r.problems().stream().allMatch(p -> p.arena() == 1 && p.repairable()), r.problems().toString());
    BttCheck.Problem p = r.problems().get(0);
    assertEquals(code, p.code(), field);
    assertTrue(p.message().startsWith("primary info at " + arenaStart(1) + ": "), p.message());
    assertTrue(p.message().contains(fragment.trim()), field + ": " + p.message());
    assertRepairsTo("arena 1: primary info at " + arenaStart(1) + " restored from the backup");
    assertContentIntact(reopen());
  }

  @Test
  void infoFieldsCorruptedCumulatively() {
    int[][] fields = {{72, 4}, {56, 4}, {96, 8}, {104, 8}, {112, 8}, {60, 4}};
    for (int[] f : fields) {
      setField(arenaStart(1), f[0], f[1], 3);
      BttCheck.Report r = check();
      assertFalse(r.consistent());
      assertTrue(r.problems().stream().allMatch(p -> p.arena() == 1 && p.code().startsWith("INFO_") && p.repairable()),
          r.problems().toString());
      assertContentIntact(Btt.open(m, 0, m.size(), Support.smallOptions().withReadOnly(true)));
    }
    setField(backupAt(1), 72, 4, 3);
    BttCheck.Report r = check();
    assertTrue(r.problems().stream().noneMatch(BttCheck.Problem::repairable), r.problems().toString());
    assertThrows(MediaCorruptedException.class, this::reopen);
  }

  @Test
  void wipedBackupInfoIsRestored() {
    m.fill(backupAt(1), BttInfo.SIZE, (byte) 0);
    BttCheck.Problem p = only(check());
    assertEquals("INFO_SIG", p.code());
    assertEquals(1, p.arena());
    assertRepairsTo("arena 1: backup info at " + backupAt(1) + " restored from the primary");
  }

  @Test
  void arenaErrorFlagMakesTheArenaReadOnly() {
    setField(arenaStart(0), BttInfo.OFF_FLAGS, 4, BttInfo.FLAG_ERROR);
    setField(backupAt(0), BttInfo.OFF_FLAGS, 4, BttInfo.FLAG_ERROR);
    assertEquals("ARENA_ERROR", only(check()).code());
    Btt b = reopen();
    assertNotNull(b.arenaError(0));
    assertThrows(NvframeIOException.class, () -> b.write(1, new byte[BS], 0));
    assertContentIntact(b);
    long inArena1 = btt.arenaInfo(0).externalNlba() + 1L;
    b.write(inArena1, Support.pattern(inArena1, 5, BS), 0);
  }

  // ------------------------------------------------------------------ map

  @Test
  void mapEntriesInEveryFlagStateAreConsistent() {
    // 00 initial (never written), 11 normal, 01 zero, 10 error
    assertEquals("initial", btt.blockState(1));
    assertEquals("normal", btt.blockState(41));
    btt.setZero(82);
    btt.setError(123);
    btt.setError(2);
    assertEquals("zero", btt.blockState(82));
    assertEquals("error", btt.blockState(123));
    assertTrue(check().consistent(), check().problems().toString());
  }

  @Test
  void writtenBlockResetToInitialBreaksTheBijection() {
    m.storeInt(mapAt(0, 41), 0);
    BttCheck.Report r = check();
    assertEquals(List.of("BITMAP_ERROR"), codes(r));
    assertEquals(2, r.problems().size(), r.problems().toString());
    assertTrue(r.problems().get(0).message().startsWith("block 41 is referenced 2 times: map[41], "), r.problems().toString());
    assertTrue(r.problems().get(1).message().startsWith("1 block(s) referenced by neither the map nor the flog"));
  }

  @Test
  void mapEntryOutOfRange() {
    m.storeInt(mapAt(0, 7), 0xc000_0000 | 0x3fff_0000);
    BttCheck.Report r = check();
    assertEquals(List.of("MAP_OOB"), codes(r));
    assertEquals("map[7] = 0xffff0000: post-map block 1073676288 >= internal_nlba " + btt.arenaInfo(0).internalNlba(),
        only(r).message());
    MediaCorruptedException e = assertThrows(MediaCorruptedException.class, () -> Support.read(reopen(), 7));
    assertTrue(e.getMessage().contains("points past the arena"), e.getMessage());
  }

  @Test
  void duplicatedMapEntry() {
    int post41 = btt.postMap(41);
    m.storeInt(mapAt(0, 123), post41 | 0xc000_0000);
    BttCheck.Report r = check();
    assertEquals(List.of("BITMAP_ERROR"), codes(r));
    assertEquals(2, r.problems().size(), r.problems().toString());
    assertEquals("block " + post41 + " is referenced 2 times: map[41], map[123]", r.problems().get(0).message());
    assertTrue(r.problems().get(1).message().startsWith("1 block(s) referenced by neither the map nor the flog"));
    assertFalse(repair().consistent());
  }

  @Test
  void scribbledMapTailIsNotRepairable() {
    BttInfo i = btt.arenaInfo(0);
    long tail = mapAt(0, i.externalNlba()) - 512;
    byte[] junk = new byte[512];
    new Random(42).nextBytes(junk);
    m.write(tail, junk, 0, junk.length);
    BttCheck.Report r = check();
    assertTrue(codes(r).contains("MAP_OOB") || codes(r).contains("BITMAP_ERROR"), r.problems().toString());
    assertTrue(r.problems().stream().noneMatch(BttCheck.Problem::repairable));
    BttCheck.Report after = repair();
    assertEquals(List.of(), after.repairs());
    assertFalse(after.consistent());
  }

  // ------------------------------------------------------------------ flog

  @Test
  void flogEntriesWithEqualSequenceNumbers() {
    int lane = usedLane();
    long slot = arenaStart(0) + btt.arenaInfo(0).flogOff() + lane * 64L;
    int seq = Flog.Entry.read(m, slot).seq() == 0 ? 1 : Flog.Entry.read(m, slot).seq();
    m.storeInt(slot + 12, seq);
    m.storeInt(slot + 16 + 12, seq);
    BttCheck.Problem p = only(check());
    assertEquals("LOG_EQL_SEQ", p.code());
    assertTrue(p.message().startsWith("flog lane " + lane + " "), p.message());
    assertTrue(p.message().endsWith("both entries have sequence number " + seq), p.message());
    Btt b = reopen();
    assertTrue(b.arenaError(0).contains("LOG_EQL_SEQ"), b.arenaError(0));
    NvframeIOException e = assertThrows(NvframeIOException.class, () -> b.write(3, new byte[BS], 0));
    assertEquals(ErrorCode.READ_ONLY, e.code());
    assertContentIntact(b);
    assertNull(b.arenaError(1));
  }

  @Test
  void flogSequenceNumberOutOfRange() {
    int lane = usedLane();
    m.storeInt(currentEntry(0, lane) + 12, 7);
    BttCheck.Problem p = only(check());
    assertEquals("OOB_SEQ", p.code());
    assertTrue(p.message().endsWith("(allowed 0..3)"), p.message());
    assertNotNull(reopen().arenaError(0));
  }

  @Test
  void flogLbaOutOfRange() {
    int lane = usedLane();
    m.storeInt(currentEntry(0, lane), btt.arenaInfo(0).externalNlba() + 5);
    BttCheck.Problem p = only(check());
    assertEquals("OOB_LBA", p.code());
    assertTrue(p.message().endsWith("lba >= external_nlba " + btt.arenaInfo(0).externalNlba()), p.message());
    assertTrue(reopen().arenaError(0).contains("OOB_LBA"));
  }

  @Test
  void flogOldMapOutOfRange() {
    int lane = usedLane();
    m.storeInt(currentEntry(0, lane) + 4, 0xc000_0000 | (btt.arenaInfo(0).internalNlba() + 1));
    assertEquals("OOB_OLD", only(check()).code());
    assertTrue(reopen().arenaError(0).contains("OOB_OLD"));
  }

  @Test
  void flogNewMapOutOfRange() {
    int lane = usedLane();
    m.storeInt(currentEntry(0, lane) + 8, 0xc000_0000 | (btt.arenaInfo(0).internalNlba() + 1));
    assertEquals("OOB_NEW", only(check()).code());
    assertTrue(reopen().arenaError(0).contains("OOB_NEW"));
  }

  @Test
  void committedFlogEntryWithLostMapWriteIsRolledForward() {
    int lane = usedLane();
    Flog.Entry e = Flog.Entry.read(m, currentEntry(0, lane));
    m.storeInt(mapAt(0, e.lba()), e.oldPost() | 0xc000_0000);
    BttCheck.Problem p = only(check());
    assertEquals("LOG_MAP_ERR", p.code());
    assertTrue(p.repairable());
    assertTrue(p.message().contains("map[" + e.lba() + "] still holds old_map"), p.message());
    assertRepairsTo("arena 0: map[" + e.lba() + "] rolled forward to block " + e.newPost() + " (flog lane " + lane + ")");
    assertContentIntact(reopen());
  }

  @Test
  void lostMapWriteIsRolledForwardAtOpen() {
    int lane = usedLane();
    Flog.Entry e = Flog.Entry.read(m, currentEntry(0, lane));
    m.storeInt(mapAt(0, e.lba()), e.oldPost() | 0xc000_0000);
    Btt b = reopen();
    assertEquals(List.of("arena 0 lane " + lane + ": lba " + e.lba() + " rolled forward to block " + e.newPost()),
        b.recoveryActions());
    assertContentIntact(b);
    assertTrue(check().consistent());
  }

  @Test
  void flogNewMapAlreadyMapped() {
    int lane = usedLane();
    long at = currentEntry(0, lane);
    Flog.Entry e = Flog.Entry.read(m, at);
    int other = btt.postMap(e.lba() == 41 ? 82 : 41);
    m.storeInt(mapAt(0, e.lba()), e.oldPost() | 0xc000_0000);
    m.storeInt(at + 8, other | 0xc000_0000);
    BttCheck.Report r = check();
    assertTrue(codes(r).contains("LOG_NEW_MAPPED"), r.problems().toString());
    assertTrue(r.problems().stream().filter(p -> p.code().equals("LOG_NEW_MAPPED")).allMatch(p -> !p.repairable()));
    assertTrue(reopen().arenaError(0).contains("LOG_NEW_MAPPED"), reopen().arenaError(0));
    assertFalse(repair().consistent());
  }

  @Test
  void staleErrorFlagOnAFreeBlockIsCleared() {
    int lane = usedLane();
    long at = currentEntry(0, lane);
    Flog.Entry e = Flog.Entry.read(m, at);
    m.storeInt(at + 4, e.oldPost() | 0x4000_0000);
    BttCheck.Problem p = only(check());
    assertEquals("FREE_ERR", p.code());
    assertTrue(p.repairable());
    assertRepairsTo("arena 0: Error flag of free block " + e.oldPost() + " cleared (flog lane " + lane + ")");
  }

  @Test
  void oldFlogPaddingLayoutIsReadAndWritten() {
    // move every slot's second entry from byte 16 to byte 32: the (0,2) layout of old Linux kernels
    int moved = 0;
    for (int a = 0; a < 3; a++) {
      BttInfo i = btt.arenaInfo(a);
      for (int lane = 0; lane < i.nfree(); lane++) {
        long slot = arenaStart(a) + i.flogOff() + lane * 64L;
        long x = m.loadLong(slot + 16);
        long y = m.loadLong(slot + 24);
        moved += y >>> 32 != 0 ? 1 : 0;
        m.storeLong(slot + 16, 0);
        m.storeLong(slot + 24, 0);
        m.storeLong(slot + 32, x);
        m.storeLong(slot + 40, y);
      }
    }
    assertTrue(moved > 0, "some slot used its second entry");
    assertTrue(check().consistent(), check().problems().toString());
    assertTrue(check().checked().stream().anyMatch(s -> s.contains("(0,2) layout")), check().checked().toString());
    Btt b = reopen();
    assertContentIntact(b);
    for (long lba = 0; lba < 100; lba++) {
      b.write(lba, Support.pattern(lba, 4, BS), 0);
    }
    Btt c = reopen();
    for (long lba = 0; lba < 100; lba++) {
      assertArrayEquals(Support.pattern(lba, 4, BS), Support.read(c, lba));
    }
    assertTrue(check().consistent(), check().problems().toString());
    for (int lane = 0; lane < 16; lane++) {
      long slot = arenaStart(0) + btt.arenaInfo(0).flogOff() + lane * 64L;
      assertEquals(0, m.loadLong(slot + 16), "(0,2) layout keeps bytes 16..31 zero");
    }
  }

  @Test
  void mixedFlogPaddingLayouts() {
    BttInfo i = btt.arenaInfo(0);
    int lane = usedLane();
    long slot = arenaStart(0) + i.flogOff() + lane * 64L;
    long x = m.loadLong(slot + 16);
    long y = m.loadLong(slot + 24);
    assertTrue(y >>> 32 != 0 || Flog.Entry.read(m, slot).seq() != 0);
    m.storeLong(slot + 16, 0);
    m.storeLong(slot + 24, 0);
    m.storeLong(slot + 32, x == 0 && y == 0 ? 0x0000_0001_0000_0000L : x);
    m.storeLong(slot + 40, x == 0 && y == 0 ? 0x0000_0002_0000_0000L : y);
    // another slot keeps a second entry at byte 16 (seq != 0 there) only if some lane used both
    boolean otherUsesNew = false;
    for (int l = 0; l < 16; l++) {
      if (l != lane && Flog.Entry.read(m, arenaStart(0) + i.flogOff() + l * 64L + 16).seq() != 0) {
        otherUsesNew = true;
      }
    }
    if (!otherUsesNew) {
      long s2 = arenaStart(0) + i.flogOff() + ((lane + 1) % 16) * 64L;
      m.storeLong(s2 + 16, m.loadLong(s2));
      m.storeLong(s2 + 24, m.loadLong(s2 + 8) & 0xffffffffL | 2L << 32);
    }
    assertEquals("FLOG_PADDING", only(check()).code());
    assertTrue(reopen().arenaError(0).contains("(0,1) and (0,2)"));
  }
}
