package io.nvframe.backend.btt;

import io.nvframe.spi.Medium;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Consistency check and repair of a BTT, reading the medium directly (no recovery runs first).
 *
 * <p>Checked per arena: B4 both info blocks valid (signature, Fletcher64, field ranges, parent uuid)
 * and equal; the flog's entry layout; B2 every slot's sequence numbers in 0..3 and not equal, the
 * current entry's lba, old_map and new_map in range; every map entry's post-map block in range; B3
 * no committed flog entry whose map write is missing; B1 every internal block referenced exactly
 * once by the map and the lanes' free blocks; free blocks that still carry an Error flag.
 *
 * <p>Problem codes follow ndctl's {@code check.c} where it has one: {@code INFO_SIG}, {@code
 * INFO_CSUM}, {@code INFO_FIELD}, {@code INFO_VERSION}, {@code INFO_PARENT}, {@code INFO_MISMATCH},
 * {@code ARENA_ERROR}, {@code FLOG_PADDING}, {@code LOG_EQL_SEQ}, {@code LOG_NO_SEQ}, {@code
 * OOB_SEQ}, {@code OOB_LBA}, {@code OOB_OLD}, {@code OOB_NEW}, {@code LOG_MAP_ERR}, {@code
 * MAP_OOB}, {@code BITMAP_ERROR}, {@code FREE_ERR}, {@code NO_LAYOUT}.
 *
 * <p>{@link #repair} fixes what the spec allows: a bad primary info from a good backup and the
 * other way round, committed flog entries whose map write is missing (rolled forward), and Error
 * flags on free blocks (cleared in the flog entry, one 8-byte store); then it checks again.
 */
public final class BttCheck {
  private BttCheck() {}

  /** Problems listed per code before the rest is summarised. */
  static final int MAX_PER_CODE = 8;

  /**
   * One violated invariant.
   *
   * @param arena arena index (-1 when no arena could be read)
   * @param code stable code, see the class comment
   * @param message what and where
   * @param repairable whether {@link #repair} fixes it
   */
  public record Problem(int arena, String code, String message, boolean repairable) {
    @Override
    public String toString() {
      return (arena >= 0 ? "arena " + arena + ": " : "") + code + " " + message + (repairable ? " (repairable)" : "");
    }
  }

  /**
   * Result of a check (and of a repair: what it did, then what is left).
   *
   * @param checked one line per verified group
   * @param problems every problem found
   * @param repairs what {@link #repair} changed (empty for a check)
   */
  public record Report(List<String> checked, List<Problem> problems, List<String> repairs) {
    public Report {
      checked = List.copyOf(checked);
      problems = List.copyOf(problems);
      repairs = List.copyOf(repairs);
    }

    public boolean consistent() {
      return problems.isEmpty();
    }

    /** True when some problem has {@code code}. */
    public boolean has(String code) {
      return problems.stream().anyMatch(p -> p.code().equals(code));
    }
  }

  /** Checks the BTT at {@code base}; reads only. */
  public static Report check(Medium m, long base, long rawSize, Btt.Options options) {
    return run(m, base, rawSize, options, null);
  }

  /** Repairs what can be repaired, then checks again; the report lists the repairs. */
  public static Report repair(Medium m, long base, long rawSize, Btt.Options options) {
    List<String> repairs = new ArrayList<>();
    run(m, base, rawSize, options, repairs);
    Report after = run(m, base, rawSize, options, null);
    return new Report(after.checked(), after.problems(), repairs);
  }

  private static Report run(Medium m, long base, long rawSize, Btt.Options options, List<String> repairs) {
    List<String> checked = new ArrayList<>();
    List<Problem> problems = new ArrayList<>();
    if (base < 0 || rawSize < 2L * BttInfo.SIZE || base + rawSize > m.size()) {
      problems.add(new Problem(-1, "NO_LAYOUT", "range [" + base + ", " + (base + rawSize) + ") of " + m.description()
          + " (" + m.size() + " bytes) cannot hold a BTT", false));
      return new Report(checked, problems, List.of());
    }
    long off = 0;
    int blockSize = 0;
    for (int index = 0; ; index++) {
      long available = rawSize - off;
      Btt.InfoPair pair = Btt.readInfo(m, base, off, available, options.parentUuid(), options.maxArenaSize(), blockSize);
      if (pair.chosen == null) {
        if (index == 0 && !pair.primarySigned && !pair.backupSigned) {
          problems.add(new Problem(-1, "NO_LAYOUT", "no BTT_ARENA_INFO signature at offset " + base
              + " (primary) or " + (base + pair.backupOffset) + " (backup)", false));
        } else {
          for (String p : pair.primaryProblems) {
            problems.add(new Problem(index, code(p), "primary info at " + (base + off) + ": " + text(p), false));
          }
          for (String p : pair.backupProblems) {
            problems.add(new Problem(index, code(p), "backup info at " + (base + pair.backupOffset) + ": " + text(p), false));
          }
        }
        break;
      }
      BttInfo info = pair.chosen;
      blockSize = info.externalLbaSize();
      boolean primaryBad = !pair.primaryProblems.isEmpty();
      for (String p : pair.primaryProblems) {
        problems.add(new Problem(index, code(p), "primary info at " + (base + off) + ": " + text(p), true));
      }
      long backupAt = base + off + info.infoOff();
      for (String p : pair.backupProblems) {
        problems.add(new Problem(index, code(p), "backup info at " + backupAt + ": " + text(p), true));
      }
      if (repairs != null) {
        byte[] good = info.encode();
        if (primaryBad) {
          m.write(base + off, good, 0, good.length);
          m.persist(base + off, good.length);
          repairs.add("arena " + index + ": primary info at " + (base + off) + " restored from the backup");
        } else if (!pair.backupProblems.isEmpty()) {
          m.write(backupAt, good, 0, good.length);
          m.persist(backupAt, good.length);
          repairs.add("arena " + index + ": backup info at " + backupAt + " restored from the primary");
        }
      }
      checked.add("arena " + index + ": info blocks at " + (base + off) + " and " + backupAt);
      if ((info.flags() & BttInfo.FLAG_ERROR) != 0) {
        problems.add(new Problem(index, "ARENA_ERROR", "info flags have the ERROR bit: the arena is read-only", false));
      }
      checkArena(m, base + off, index, info, problems, repairs, checked);
      if (info.nextOff() == 0) {
        break;
      }
      off += info.nextOff();
    }
    return new Report(checked, problems, repairs == null ? List.of() : repairs);
  }

  private static void checkArena(Medium m, long start, int index, BttInfo info, List<Problem> problems,
      List<String> repairs, List<String> checked) {
    Counter count = new Counter(problems, index);
    try {
      checkArena(m, start, index, info, count, repairs, checked);
    } finally {
      count.flush();
    }
  }

  private static void checkArena(Medium m, long start, int index, BttInfo info, Counter count,
      List<String> repairs, List<String> checked) {
    int second = Btt.detectPadding(m, start + info.flogOff(), info.nfree());
    if (second < 0) {
      count.add("FLOG_PADDING", "flog slots mix the (0,1) and (0,2) entry layouts", false);
      return;
    }
    Arena a = new Arena(index, start, info, second, 0, 1);
    long internal = Integer.toUnsignedLong(info.internalNlba());
    long external = Integer.toUnsignedLong(info.externalNlba());
    Flog.Entry[] cur = new Flog.Entry[info.nfree()];
    int[] curIndex = new int[info.nfree()];
    boolean flogOk = true;
    for (int lane = 0; lane < info.nfree(); lane++) {
      Flog.Entry e0 = Flog.Entry.read(m, a.entryOffset(lane, 0));
      Flog.Entry e1 = Flog.Entry.read(m, a.entryOffset(lane, 1));
      StringBuilder why = new StringBuilder();
      int c = Flog.current(e0, e1, why);
      if (c < 0) {
        count.add(code(why.toString()), "flog lane " + lane + " " + e0 + " " + e1 + ": " + text(why.toString()), false);
        flogOk = false;
        continue;
      }
      Flog.Entry e = c == 0 ? e0 : e1;
      if (Integer.toUnsignedLong(e.lba()) >= external) {
        count.add("OOB_LBA", "flog lane " + lane + " " + e + ": lba >= external_nlba " + external, false);
        flogOk = false;
      }
      if (e.oldPost() >= internal) {
        count.add("OOB_OLD", "flog lane " + lane + " " + e + ": old_map >= internal_nlba " + internal, false);
        flogOk = false;
      }
      if (e.newPost() >= internal) {
        count.add("OOB_NEW", "flog lane " + lane + " " + e + ": new_map >= internal_nlba " + internal, false);
        flogOk = false;
      }
      cur[lane] = e;
      curIndex[lane] = c;
    }
    checked.add("arena " + index + ": flog of " + info.nfree() + " lanes ("
        + (second == 16 ? "(0,1)" : "(0,2)") + " layout)");
    // map entries, with committed flog entries rolled forward
    int[] map = new int[(int) external];
    boolean mapOk = true;
    for (int premap = 0; premap < external; premap++) {
      int entry = m.loadInt(a.mapEntryOffset(premap));
      int post = (entry & Btt.FLAG_MASK) == 0 ? premap : entry & Btt.POSTMAP_MASK;
      if (post >= internal) {
        count.add("MAP_OOB", String.format("map[%d] = 0x%08x: post-map block %d >= internal_nlba %d", premap, entry, post, internal), false);
        mapOk = false;
      }
      map[premap] = post;
    }
    checked.add("arena " + index + ": " + external + " map entries");
    if (!flogOk) {
      return;
    }
    BitSet used = new BitSet((int) internal);
    if (mapOk) {
      for (int premap = 0; premap < external; premap++) {
        used.set(map[premap]);
      }
      for (int lane = 0; lane < info.nfree(); lane++) {
        used.set(cur[lane].oldPost());
      }
    }
    for (int lane = 0; lane < info.nfree(); lane++) {
      Flog.Entry e = cur[lane];
      if (e.oldPost() != e.newPost() && map[e.lba()] == e.oldPost() && used.get(e.newPost())) {
        count.add("LOG_NEW_MAPPED", "flog lane " + lane + " " + e + ": committed, map[" + e.lba()
            + "] holds old_map, but new_map " + e.newPost() + " is already in use: cannot roll forward", false);
      } else if (e.oldPost() != e.newPost() && map[e.lba()] == e.oldPost()) {
        count.add("LOG_MAP_ERR", "flog lane " + lane + " " + e + ": committed, but map[" + e.lba()
            + "] still holds old_map (the map write was lost)", true);
        if (repairs != null) {
          int value = (e.newMap() & Btt.FLAG_MASK) == 0 ? e.newPost() | Btt.MAP_NORMAL : e.newMap();
          m.storeInt(a.mapEntryOffset(e.lba()), value);
          m.persist(a.mapEntryOffset(e.lba()), 4);
          repairs.add("arena " + index + ": map[" + e.lba() + "] rolled forward to block " + e.newPost() + " (flog lane " + lane + ")");
        }
        map[e.lba()] = e.newPost();
      }
      if ((e.oldMap() & Btt.FLAG_MASK) == Btt.MAP_ERROR) {
        count.add("FREE_ERR", "flog lane " + lane + " " + e + ": free block " + e.oldPost() + " still has the Error flag", true);
        if (repairs != null) {
          long at = a.entryOffset(lane, curIndex[lane]);
          m.storeLong(at, Integer.toUnsignedLong(e.lba()) | (long) (e.oldPost() | Btt.MAP_NORMAL) << 32);
          m.persist(at, 8);
          repairs.add("arena " + index + ": Error flag of free block " + e.oldPost() + " cleared (flog lane " + lane + ")");
        }
      }
    }
    checked.add("arena " + index + ": no committed flog entry without its map write");
    if (!mapOk) {
      return;
    }
    // B1: every internal block referenced exactly once
    BitSet seen = new BitSet((int) internal);
    BitSet dup = new BitSet();
    for (int premap = 0; premap < external; premap++) {
      if (seen.get(map[premap])) {
        dup.set(map[premap]);
      }
      seen.set(map[premap]);
    }
    for (int lane = 0; lane < info.nfree(); lane++) {
      int f = cur[lane].oldPost();
      if (seen.get(f)) {
        dup.set(f);
      }
      seen.set(f);
    }
    for (int block = dup.nextSetBit(0); block >= 0; block = dup.nextSetBit(block + 1)) {
      List<String> owners = new ArrayList<>();
      for (int premap = 0; premap < external; premap++) {
        if (map[premap] == block) {
          owners.add("map[" + premap + "]");
        }
      }
      for (int lane = 0; lane < info.nfree(); lane++) {
        if (cur[lane].oldPost() == block) {
          owners.add("free block of flog lane " + lane);
        }
      }
      count.add("BITMAP_ERROR", "block " + block + " is referenced " + owners.size() + " times: " + String.join(", ", owners), false);
    }
    int unreferenced = (int) internal - seen.cardinality();
    if (unreferenced > 0) {
      count.add("BITMAP_ERROR", unreferenced + " block(s) referenced by neither the map nor the flog (first: block "
          + seen.nextClearBit(0) + ")", false);
    }
    checked.add("arena " + index + ": each of " + internal + " blocks referenced exactly once");
  }

  /** Adds problems, at most {@link #MAX_PER_CODE} per code, then one summary line per code. */
  private static final class Counter {
    private final List<Problem> out;
    private final int arena;
    private final java.util.Map<String, Integer> seen = new java.util.LinkedHashMap<>();
    private final java.util.Map<String, Boolean> repairable = new java.util.HashMap<>();

    Counter(List<Problem> out, int arena) {
      this.out = out;
      this.arena = arena;
    }

    void add(String code, String message, boolean canRepair) {
      int n = seen.merge(code, 1, Integer::sum);
      repairable.put(code, canRepair);
      if (n <= MAX_PER_CODE) {
        out.add(new Problem(arena, code, message, canRepair));
      }
    }

    void flush() {
      seen.forEach((code, n) -> {
        if (n > MAX_PER_CODE) {
          out.add(new Problem(arena, code, "... and " + (n - MAX_PER_CODE) + " more " + code + " problem(s)", repairable.get(code)));
        }
      });
    }
  }

  private static String code(String coded) {
    int sp = coded.indexOf(' ');
    return sp < 0 ? coded : coded.substring(0, sp);
  }

  private static String text(String coded) {
    int sp = coded.indexOf(' ');
    return sp < 0 ? "" : coded.substring(sp + 1);
  }
}
