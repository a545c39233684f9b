package io.nvframe.backend.btt;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.MediaCorruptedException;
import io.nvframe.api.NvframeIOException;
import io.nvframe.spi.Medium;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A Block Translation Table (UEFI 2.10 section 6) in the byte range {@code [base, base + rawSize)}
 * of a {@link Medium}: block reads and failure-atomic block writes.
 *
 * <p>Write of one block (three fences): pick a lane, wait until no reader tracks the lane's free
 * block {@code F} in the RTT, lock the map entry, copy the data into {@code F} and flush it; read the
 * old entry {@code O}, store the first half {@code {lba, O}} of the lane's inactive flog entry, flush,
 * <b>fence 1</b> (data and half 1); store the second half {@code {F, seq}} as one 8-byte store, flush,
 * <b>fence 2</b> (commit point); store the map entry {@code F | normal}, flush, <b>fence 3</b>;
 * unlock. {@code O} becomes the lane's free block. Before fence 2 the old entry of the slot is still
 * current and {@code F} is free: the block reads its old content. After it, recovery at open finds
 * the committed entry and, if the map still holds {@code O}, redoes the map store.
 *
 * <p>Map entries: bits 0-29 post-map block, bit 30 Error, bit 31 Zero; both flags set = normal, both
 * clear = initial (identity mapping, reads as zeros like libpmemblk), Zero only = reads as zeros,
 * Error only = reads fail with {@link ErrorCode#MEDIA_ERROR}. A write clears both flags.
 *
 * <p>Reads publish the post-map block in an RTT slot (claimed without a lane, {@link
 * Arena#trackRead}), re-read the map entry and track the new block when it changed, so a writer
 * never overwrites a block that a reader is copying: a writer waits until no RTT slot holds its
 * free block.
 */
public final class Btt implements AutoCloseable {
  static final int POSTMAP_MASK = 0x3fff_ffff;
  static final int MAP_ERROR = 0x4000_0000;
  static final int MAP_ZERO = 0x8000_0000;
  static final int MAP_NORMAL = 0xc000_0000;
  static final int FLAG_MASK = 0xc000_0000;
  /** Smallest arena a reader accepts after a {@code nextoff}. */
  static final long MIN_ARENA_FLOOR = 4L * BttInfo.SIZE;
  /** {@link #pin}'s answer for a block that reads as zeros (initial or Zero entry); no slot is held. */
  private static final long ZERO_BLOCK = -1L;

  /**
   * How to open a BTT.
   *
   * @param readOnly store nothing (recovery runs in memory only)
   * @param parentUuid when non-null, info blocks must carry it as parent uuid (libpmemblk pools)
   * @param maxArenaSize arena size used to find the backup info when the primary is unreadable
   * @param lanes lanes to use, 0 = min(nfree, 2 x processors)
   */
  public record Options(boolean readOnly, byte[] parentUuid, long maxArenaSize, int lanes) {
    public static Options defaults() {
      return new Options(false, null, BttFormat.MAX_ARENA, 0);
    }

    public Options withReadOnly(boolean ro) {
      return new Options(ro, parentUuid, maxArenaSize, lanes);
    }

    public Options withParentUuid(byte[] uuid) {
      return new Options(readOnly, uuid, maxArenaSize, lanes);
    }

    public Options withMaxArenaSize(long max) {
      return new Options(readOnly, parentUuid, max, lanes);
    }

    public Options withLanes(int n) {
      return new Options(readOnly, parentUuid, maxArenaSize, n);
    }
  }

  private final Medium medium;
  private final long base;
  private final long rawSize;
  private final boolean readOnly;
  private final Arena[] arenas;
  private final int blockSize;
  private final long blockCount;
  private final Lanes lanes;
  private final List<String> recoveryActions;
  private volatile boolean open = true;

  private Btt(Medium medium, long base, long rawSize, boolean readOnly, Arena[] arenas, Lanes lanes, List<String> actions) {
    this.medium = medium;
    this.base = base;
    this.rawSize = rawSize;
    this.readOnly = readOnly;
    this.arenas = arenas;
    this.lanes = lanes;
    this.blockSize = arenas[0].info.externalLbaSize();
    long n = 0;
    for (Arena a : arenas) {
      n += a.externalNlba();
    }
    this.blockCount = n;
    this.recoveryActions = List.copyOf(actions);
  }

  // ---------------------------------------------------------------- format and open

  /**
   * Writes a new, empty layout into {@code [base, base + rawSize)} and opens it. Zeroes the maps
   * and flogs; the data area is not touched (blocks never written read as zeros). Arenas are written
   * last to first, each as map, flog, backup info, primary info, so an interrupted format leaves
   * arena 0 without a valid primary info, i.e. no layout.
   */
  public static Btt format(Medium medium, long base, long rawSize, BttFormat format, Options options) {
    checkRange(medium, base, rawSize);
    List<BttInfo> infos = format.arenas(rawSize);
    long[] starts = new long[infos.size()];
    for (int i = 1; i < infos.size(); i++) {
      starts[i] = starts[i - 1] + infos.get(i - 1).nextOff();
    }
    for (int i = infos.size() - 1; i >= 0; i--) {
      BttInfo info = infos.get(i);
      long start = base + starts[i];
      medium.fill(start + info.mapOff(), info.infoOff() - info.mapOff(), (byte) 0);
      byte[] slot = new byte[Flog.SLOT];
      for (int lane = 0; lane < info.nfree(); lane++) {
        Le.put32(slot, 0, lane);
        int free = (info.externalNlba() + lane) | MAP_ZERO;
        Le.put32(slot, 4, free);
        Le.put32(slot, 8, free);
        Le.put32(slot, 12, 1);
        medium.write(start + info.flogOff() + (long) lane * Flog.SLOT, slot, 0, Flog.SLOT);
      }
      medium.flush(start + info.mapOff(), info.infoOff() - info.mapOff());
      medium.fence();
      byte[] raw = info.encode();
      medium.write(start + info.infoOff(), raw, 0, raw.length);
      medium.persist(start + info.infoOff(), raw.length);
      medium.write(start, raw, 0, raw.length);
      medium.persist(start, raw.length);
    }
    return open(medium, base, rawSize, options.withMaxArenaSize(format.maxArenaSize()));
  }

  /** True when {@code [base, base + 4096)} starts with the BTT info signature (primary or not). */
  public static boolean hasLayout(Medium medium, long base) {
    if (base < 0 || base + BttInfo.SIZE > medium.size()) {
      return false;
    }
    byte[] raw = new byte[BttInfo.SIZE];
    medium.read(base, raw, 0, raw.length);
    return BttInfo.hasSignature(raw);
  }

  /**
   * Opens the BTT at {@code base}: validates every arena's info block (restoring a bad primary from
   * a good backup when writable), rebuilds each lane's free block from its current flog entry and
   * completes map writes that a crash cut off. An arena whose flog the spec cannot resolve opens
   * read-only; {@link #arenaError} says why.
   */
  public static Btt open(Medium medium, long base, long rawSize, Options options) {
    checkRange(medium, base, rawSize);
    boolean ro = options.readOnly();
    List<String> actions = new ArrayList<>();
    List<Arena> list = new ArrayList<>();
    List<BttInfo> infos = new ArrayList<>();
    List<Long> starts = new ArrayList<>();
    long off = 0;
    while (true) {
      long available = rawSize - off;
      InfoPair pair = readInfo(medium, base, off, available, options.parentUuid(), options.maxArenaSize(),
          infos.isEmpty() ? 0 : infos.get(0).externalLbaSize());
      if (pair.chosen == null) {
        if (off == 0 && !pair.primarySigned && !pair.backupSigned) {
          throw new MediaCorruptedException(ErrorCode.NOT_A_REGION, "no BTT layout at offset " + base + " of "
              + medium.description() + ": no BTT_ARENA_INFO signature (primary or backup); format it first");
        }
        throw new MediaCorruptedException(ErrorCode.HEADER_CORRUPT, "BTT arena " + infos.size() + " at offset "
            + (base + off) + " of " + medium.description() + ": primary info: " + String.join("; ", pair.primaryProblems)
            + "; backup info: " + String.join("; ", pair.backupProblems)
            + "; no valid copy is left (check it with 'nvframe btt check')");
      }
      if (!pair.primaryProblems.isEmpty()) {
        if (!ro) {
          byte[] raw = pair.chosen.encode();
          medium.write(base + off, raw, 0, raw.length);
          medium.persist(base + off, raw.length);
          actions.add("arena " + infos.size() + ": primary info restored from the backup ("
              + String.join("; ", pair.primaryProblems) + ")");
        } else {
          actions.add("arena " + infos.size() + ": primary info unusable, using the backup (read-only: not restored)");
        }
      }
      BttInfo info = pair.chosen;
      if (!infos.isEmpty() && info.externalLbaSize() != infos.get(0).externalLbaSize()) {
        throw new MediaCorruptedException(ErrorCode.HEADER_CORRUPT, "BTT arena " + infos.size() + " of "
            + medium.description() + " has block size " + info.externalLbaSize() + ", arena 0 has "
            + infos.get(0).externalLbaSize());
      }
      infos.add(info);
      starts.add(off);
      if (info.nextOff() == 0) {
        break;
      }
      off += info.nextOff();
    }
    int minNfree = infos.stream().mapToInt(BttInfo::nfree).min().orElseThrow();
    int laneCount = options.lanes() > 0 ? Math.min(options.lanes(), minNfree)
        : Math.min(minNfree, Math.max(2, 2 * Runtime.getRuntime().availableProcessors()));
    long firstLba = 0;
    for (int i = 0; i < infos.size(); i++) {
      BttInfo info = infos.get(i);
      long start = base + starts.get(i);
      int second = detectPadding(medium, start + info.flogOff(), info.nfree());
      Arena a = new Arena(i, start, info, second < 0 ? 16 : second, firstLba, laneCount);
      firstLba += a.externalNlba();
      if (second < 0) {
        a.error = "flog slots mix the (0,1) and (0,2) entry layouts";
      } else if ((info.flags() & BttInfo.FLAG_ERROR) != 0) {
        a.error = "the arena's info block has the ERROR flag set";
      } else {
        recoverFlog(medium, a, ro, actions);
      }
      list.add(a);
    }
    return new Btt(medium, base, rawSize, ro, list.toArray(new Arena[0]), new Lanes(laneCount), actions);
  }

  /** Both info copies of one arena and which one to use. */
  static final class InfoPair {
    byte[] primary;
    byte[] backup;
    long backupOffset = -1;
    boolean primarySigned;
    boolean backupSigned;
    List<String> primaryProblems = List.of();
    List<String> backupProblems = List.of("not read");
    BttInfo chosen;
  }

  /**
   * Reads and validates the primary info of the arena at {@code off} and its backup (at the
   * primary's {@code infooff}, or, when the primary is unusable, at {@code min(available,
   * maxArena) - 4096}, where the layout rules put it).
   */
  static InfoPair readInfo(Medium m, long base, long off, long available, byte[] parent, long maxArena, int blockSize) {
    InfoPair p = new InfoPair();
    p.primary = new byte[BttInfo.SIZE];
    if (available < BttInfo.SIZE * 2L) {
      p.primaryProblems = List.of("INFO_FIELD no room for an arena: " + available + " bytes left");
      p.backupProblems = p.primaryProblems;
      return p;
    }
    m.read(base + off, p.primary, 0, BttInfo.SIZE);
    p.primarySigned = BttInfo.hasSignature(p.primary);
    p.primaryProblems = BttInfo.validate(p.primary, available, parent, blockSize);
    long backupRel;
    if (p.primaryProblems.isEmpty()) {
      backupRel = BttInfo.decode(p.primary).infoOff();
    } else {
      backupRel = Math.min(available, maxArena) - BttInfo.SIZE;
    }
    p.backupOffset = off + backupRel;
    p.backup = new byte[BttInfo.SIZE];
    m.read(base + p.backupOffset, p.backup, 0, BttInfo.SIZE);
    p.backupSigned = BttInfo.hasSignature(p.backup);
    List<String> bp = new ArrayList<>(BttInfo.validate(p.backup, available, parent, blockSize));
    if (bp.isEmpty() && BttInfo.decode(p.backup).infoOff() != backupRel) {
      bp.add("INFO_FIELD backup infooff " + BttInfo.decode(p.backup).infoOff() + " is not where it was found ("
          + backupRel + ")");
    }
    if (bp.isEmpty() && p.primaryProblems.isEmpty() && !Arrays.equals(p.primary, p.backup)) {
      bp.add("INFO_MISMATCH backup info differs from the primary");
    }
    p.backupProblems = bp;
    if (p.primaryProblems.isEmpty()) {
      p.chosen = BttInfo.decode(p.primary);
    } else if (bp.isEmpty()) {
      p.chosen = BttInfo.decode(p.backup);
    }
    return p;
  }

  /**
   * The offset of the second entry in each flog slot: 16 for the (0,1) layout, 32 for the (0,2)
   * layout, -1 when slots disagree. A slot uses (0,2) when its bytes 16..31 are zero and bytes
   * 32..47 hold an entry with a non-zero seq; a fresh flog (second entries all zero) is (0,1).
   */
  static int detectPadding(Medium m, long flogStart, int nfree) {
    boolean sawNew = false;
    boolean sawOld = false;
    for (int lane = 0; lane < nfree; lane++) {
      long slot = flogStart + (long) lane * Flog.SLOT;
      Flog.Entry e1 = Flog.Entry.read(m, slot + 16);
      Flog.Entry e2 = Flog.Entry.read(m, slot + 32);
      if (e1.seq() != 0) {
        sawNew = true;
      } else if (e1.isZero() && e2.seq() != 0) {
        sawOld = true;
      }
    }
    if (sawNew && sawOld) {
      return -1;
    }
    return sawOld ? 32 : 16;
  }

  /** Rebuilds the lanes' free blocks from the flog; rolls committed entries forward. */
  private static void recoverFlog(Medium m, Arena a, boolean ro, List<String> actions) {
    BttInfo info = a.info;
    long internal = Integer.toUnsignedLong(info.internalNlba());
    long external = Integer.toUnsignedLong(info.externalNlba());
    List<String> problems = new ArrayList<>();
    int[] current = new int[info.nfree()];
    Flog.Entry[] cur = new Flog.Entry[info.nfree()];
    for (int lane = 0; lane < info.nfree(); lane++) {
      Flog.Entry e0 = Flog.Entry.read(m, a.entryOffset(lane, 0));
      Flog.Entry e1 = Flog.Entry.read(m, a.entryOffset(lane, 1));
      StringBuilder why = new StringBuilder();
      int c = Flog.current(e0, e1, why);
      if (c < 0) {
        problems.add("flog lane " + lane + ": " + why);
        continue;
      }
      Flog.Entry e = c == 0 ? e0 : e1;
      if (Integer.toUnsignedLong(e.lba()) >= external) {
        problems.add("flog lane " + lane + ": OOB_LBA lba " + Integer.toUnsignedString(e.lba()) + " >= external_nlba " + external);
      } else if (e.oldPost() >= internal) {
        problems.add("flog lane " + lane + ": OOB_OLD old_map " + e.oldPost() + " >= internal_nlba " + internal);
      } else if (e.newPost() >= internal) {
        problems.add("flog lane " + lane + ": OOB_NEW new_map " + e.newPost() + " >= internal_nlba " + internal);
      }
      current[lane] = c;
      cur[lane] = e;
    }
    if (problems.isEmpty()) {
      java.util.BitSet free = new java.util.BitSet();
      for (int lane = 0; lane < info.nfree(); lane++) {
        if (free.get(cur[lane].oldPost())) {
          problems.add("flog lane " + lane + ": BITMAP_ERROR free block " + cur[lane].oldPost() + " is also another lane's free block");
        }
        free.set(cur[lane].oldPost());
      }
    }
    if (!problems.isEmpty()) {
      a.error = problems.size() + " flog problem(s): " + String.join("; ", problems.subList(0, Math.min(4, problems.size())))
          + (problems.size() > 4 ? "; ..." : "");
      return;
    }
    java.util.BitSet pending = new java.util.BitSet();
    for (int lane = 0; lane < info.nfree(); lane++) {
      Flog.Entry e = cur[lane];
      if (e.oldPost() != e.newPost() && mapPost(m, a, e.lba()) == e.oldPost()) {
        pending.set(lane);
      }
    }
    if (!pending.isEmpty()) {
      // a roll-forward must not map a block that another lba or lane already owns
      java.util.BitSet used = new java.util.BitSet();
      for (int premap = 0; premap < info.externalNlba(); premap++) {
        used.set(mapPost(m, a, premap));
      }
      for (int lane = 0; lane < info.nfree(); lane++) {
        used.set(cur[lane].oldPost());
      }
      for (int lane = pending.nextSetBit(0); lane >= 0; lane = pending.nextSetBit(lane + 1)) {
        if (used.get(cur[lane].newPost())) {
          problems.add("flog lane " + lane + ": LOG_NEW_MAPPED committed entry " + cur[lane] + " cannot be rolled forward: block "
              + cur[lane].newPost() + " is already in use");
        }
      }
      if (!problems.isEmpty()) {
        a.error = String.join("; ", problems.subList(0, Math.min(4, problems.size())));
        return;
      }
    }
    for (int lane = 0; lane < info.nfree(); lane++) {
      Flog.Entry e = cur[lane];
      if (e.oldPost() != e.newPost()) {
        int post = mapPost(m, a, e.lba());
        if (post == e.oldPost()) {
          int value = (e.newMap() & FLAG_MASK) == 0 ? e.newPost() | MAP_NORMAL : e.newMap();
          if (ro) {
            a.volatileMap.put(e.lba(), value);
            a.rolledForwardInMemory = true;
            actions.add("arena " + a.index + " lane " + lane + ": lba " + e.lba() + " rolled forward in memory (read-only)");
          } else {
            m.storeInt(a.mapEntryOffset(e.lba()), value);
            m.persist(a.mapEntryOffset(e.lba()), 4);
            actions.add("arena " + a.index + " lane " + lane + ": lba " + e.lba() + " rolled forward to block " + e.newPost());
          }
        }
      }
      a.freeBlock[lane] = e.oldPost();
      a.nextEntry[lane] = 1 - current[lane];
      a.nextSeq[lane] = Flog.nextSeq(e.seq());
    }
  }

  /** Post-map block of {@code premap} as stored (identity for an initial entry). */
  private static int mapPost(Medium m, Arena a, int premap) {
    int entry = m.loadInt(a.mapEntryOffset(premap));
    return (entry & FLAG_MASK) == 0 ? premap : entry & POSTMAP_MASK;
  }

  private static void checkRange(Medium medium, long base, long rawSize) {
    Objects.requireNonNull(medium, "medium");
    if (base < 0 || rawSize < 0 || base + rawSize > medium.size()) {
      throw new IllegalArgumentException("BTT range [" + base + ", " + (base + rawSize) + ") is outside "
          + medium.description() + " (" + medium.size() + " bytes)");
    }
  }

  // ---------------------------------------------------------------- block I/O

  /** External block size in bytes. */
  public int blockSize() {
    return blockSize;
  }

  /** Number of external blocks over all arenas. */
  public long blockCount() {
    return blockCount;
  }

  /** Lanes in use. */
  public int laneCount() {
    return lanes.count();
  }

  /** What recovery at open did (restored info blocks, rolled-forward map entries). */
  public List<String> recoveryActions() {
    return recoveryActions;
  }

  /** Number of arenas. */
  public int arenaCount() {
    return arenas.length;
  }

  /** Info block of arena {@code i}. */
  public BttInfo arenaInfo(int i) {
    return arenas[i].info;
  }

  /** Absolute offset of arena {@code i} in the medium. */
  public long arenaOffset(int i) {
    return arenas[i].start;
  }

  /** Why arena {@code i} is read-only, or null when it is writable. */
  public String arenaError(int i) {
    return arenas[i].error;
  }

  /** Offset of the BTT in the medium. */
  public long base() {
    return base;
  }

  /** Bytes of the BTT namespace. */
  public long rawSize() {
    return rawSize;
  }

  /** True when opened read-only. */
  public boolean readOnly() {
    return readOnly;
  }

  /** The medium underneath. */
  public Medium medium() {
    return medium;
  }

  /** Reads block {@code lba} into {@code dst[off, off + blockSize)}. */
  public void read(long lba, byte[] dst, int off) {
    read(lba, 0, dst, off, blockSize);
  }

  /**
   * Reads {@code length} bytes of block {@code lba} from byte {@code inBlock} into {@code dst}.
   *
   * <p>A read takes no lane: it pins the block in an RTT slot ({@link #pin}), copies, then frees
   * the slot with a release store.
   */
  public void read(long lba, int inBlock, byte[] dst, int off, int length) {
    ensureOpen();
    Objects.checkFromIndexSize(off, length, dst.length);
    Objects.checkFromIndexSize(inBlock, length, blockSize);
    Arena a = arenaOf(lba);
    long pinned = pin(a, lba, (int) (lba - a.firstLba));
    if (pinned == ZERO_BLOCK) {
      Arrays.fill(dst, off, off + length, (byte) 0);
      return;
    }
    try {
      medium.read(a.blockOffset((int) pinned) + inBlock, dst, off, length);
    } finally {
      // release order suffices: the copy above completes before a writer can see the slot idle
      a.rtt.setRelease((int) (pinned >>> 32), Arena.RTT_IDLE);
    }
  }

  /**
   * Reads block {@code lba} into the first {@code blockSize} bytes of {@code dst} (a native buffer,
   * a file mapping, a heap segment). Same protocol as {@link #read(long, int, byte[], int, int)}.
   *
   * <p>The copy's stores go wherever {@code dst} is: a destination whose address is a multiple of 32
   * (a 64-byte aligned native buffer, as libpmemblk's callers use) is copied with aligned vector
   * stores, while a {@code byte[]} is placed by the JVM on any 8-byte boundary (benchmarks/results.md,
   * "BTT block mode vs libpmemblk", round 3, measures the difference).
   */
  public void read(long lba, MemorySegment dst) {
    ensureOpen();
    if (dst.byteSize() < blockSize) {
      throw new IllegalArgumentException("a " + dst.byteSize() + "-byte buffer cannot hold block " + lba
          + " of " + blockSize + " bytes");
    }
    Arena a = arenaOf(lba);
    long pinned = pin(a, lba, (int) (lba - a.firstLba));
    MemorySegment block = dst.asSlice(0, blockSize);
    if (pinned == ZERO_BLOCK) {
      block.fill((byte) 0);
      return;
    }
    try {
      medium.read(a.blockOffset((int) pinned), block);
    } finally {
      a.rtt.setRelease((int) (pinned >>> 32), Arena.RTT_IDLE);
    }
  }

  /**
   * Pins the current post-map block of {@code premap} for a reader: claims an RTT slot with one
   * compare-and-set that also publishes the block ({@link Arena#trackRead}), re-reads the map entry
   * and tracks the new block when it changed. Returns {@code slot << 32 | post}; the caller copies
   * the block and frees the slot. Returns {@link #ZERO_BLOCK} (holding no slot) when the entry reads
   * as zeros; throws (holding no slot) for an Error entry or one that points past the arena.
   */
  private long pin(Arena a, long lba, int premap) {
    int entry = mapEntry(a, premap);
    int slot = -1;
    boolean pinned = false;
    try {
      while (true) {
        int flags = entry & FLAG_MASK;
        if (flags == MAP_ERROR) {
          throw mediaError(a, lba, premap, entry);
        }
        if (flags == 0 || flags == MAP_ZERO) {
          return ZERO_BLOCK;
        }
        int post = entry & POSTMAP_MASK;
        if (post >= a.info.internalNlba()) {
          throw corrupt(a, lba, premap, entry);
        }
        if (slot < 0) {
          slot = a.trackRead(post);
        } else {
          a.rtt.set(slot, post);
        }
        // the publication above is a volatile write (a locked instruction on x86), so this re-read
        // cannot pass it; a writer fences between its map store and its RTT scan
        int again = mapEntry(a, premap);
        if (again == entry) {
          pinned = true;
          return (long) slot << 32 | post;
        }
        entry = again;
      }
    } finally {
      if (slot >= 0 && !pinned) {
        a.rtt.setRelease(slot, Arena.RTT_IDLE);
      }
    }
  }

  /** Atomically replaces block {@code lba} with {@code src[off, off + blockSize)}. */
  public void write(long lba, byte[] src, int off) {
    ensureOpen();
    Objects.checkFromIndexSize(off, blockSize, src.length);
    Arena a = arenaOf(lba);
    ensureWritable(a, lba);
    int premap = (int) (lba - a.firstLba);
    int lane = lanes.acquire();
    try {
      int free = a.freeBlock[lane];
      // orders this lane's earlier map store before the RTT scan (the reader side re-reads the map
      // after publishing its RTT slot)
      VarHandle.fullFence();
      for (int i = 0; i < a.rtt.length(); i += Arena.RTT_STRIDE) {
        while (a.rtt.get(i) == free) {
          Thread.onSpinWait();
        }
      }
      long mapOff = a.mapEntryOffset(premap);
      long dataOff = a.blockOffset(free);
      long entryOff = a.entryOffset(lane, a.nextEntry[lane]);
      int seq = a.nextSeq[lane];
      int oldEntry;
      // the map lock is taken before the data copy: taking it (an atomic instruction) after a copy
      // with non-temporal stores would wait for those stores to drain, which fence 1 does anyway
      // together with the flog's first half
      ReentrantLock lock = a.mapLock(premap);
      lock.lock();
      try {
        // touch the map entry's line now, so that its cache miss overlaps the data copy (the value
        // is read again below)
        medium.loadInt(mapOff);
        // one call, so that a medium that can copy without a separate write-back does (dax:
        // libpmem's non-temporal copy, backend-dax/README.md)
        medium.writeAndFlush(dataOff, src, off, blockSize);
        int raw = medium.loadInt(mapOff);
        if ((raw & FLAG_MASK) != 0 && (raw & POSTMAP_MASK) >= a.info.internalNlba()) {
          throw corrupt(a, lba, premap, raw);
        }
        // the flog records the old block as a clean free block (its Zero/Error state belonged to the lba)
        oldEntry = ((raw & FLAG_MASK) == 0 ? premap : raw & POSTMAP_MASK) | MAP_NORMAL;
        // fence 1 makes the data block and half 1 {lba, old_map} durable before half 2 {new_map,
        // seq}, the commit word of the write, is stored (half 2 publishes both); fence 2 makes
        // half 2 durable before the map entry changes
        medium.storeLong(entryOff, Integer.toUnsignedLong(premap) | (long) oldEntry << 32);
        medium.flush(entryOff, 8);
        medium.fence();
        int newEntry = free | MAP_NORMAL;
        medium.storeLong(entryOff + 8, Integer.toUnsignedLong(newEntry) | (long) seq << 32);
        medium.flush(entryOff + 8, 8);
        medium.fence();
        medium.storeInt(mapOff, newEntry);
        medium.flush(mapOff, 4);
        medium.fence();
      } finally {
        lock.unlock();
      }
      a.freeBlock[lane] = oldEntry & POSTMAP_MASK;
      a.nextEntry[lane] ^= 1;
      a.nextSeq[lane] = Flog.nextSeq(seq);
    } finally {
      lanes.release(lane);
    }
  }

  /** Marks block {@code lba} as zero (reads return zeros until it is written); one fence. */
  public void setZero(long lba) {
    setFlags(lba, MAP_ZERO);
  }

  /** Marks block {@code lba} as having a media error (reads fail until it is written); one fence. */
  public void setError(long lba) {
    setFlags(lba, MAP_ERROR);
  }

  private void setFlags(long lba, int flag) {
    ensureOpen();
    Arena a = arenaOf(lba);
    ensureWritable(a, lba);
    int premap = (int) (lba - a.firstLba);
    ReentrantLock lock = a.mapLock(premap);
    lock.lock();
    try {
      long at = a.mapEntryOffset(premap);
      int raw = medium.loadInt(at);
      int post = (raw & FLAG_MASK) == 0 ? premap : raw & POSTMAP_MASK;
      medium.storeInt(at, post | flag);
      medium.persist(at, 4);
    } finally {
      lock.unlock();
    }
  }

  /** The state of block {@code lba}: "normal", "initial", "zero" or "error". */
  public String blockState(long lba) {
    Arena a = arenaOf(lba);
    int entry = mapEntry(a, (int) (lba - a.firstLba));
    return switch (entry & FLAG_MASK) {
      case 0 -> "initial";
      case MAP_ZERO -> "zero";
      case MAP_ERROR -> "error";
      default -> "normal";
    };
  }

  /** Post-map block of {@code lba} (for tools and tests). */
  public int postMap(long lba) {
    Arena a = arenaOf(lba);
    int premap = (int) (lba - a.firstLba);
    int entry = mapEntry(a, premap);
    return (entry & FLAG_MASK) == 0 ? premap : entry & POSTMAP_MASK;
  }

  /** The free block of every flog slot of arena {@code i} (run-time state). */
  public int[] freeBlocks(int i) {
    return arenas[i].freeBlock.clone();
  }

  /**
   * The flog of one arena as stored.
   *
   * @param layout {@code (0,1)} or {@code (0,2)}
   * @param unused slots whose current entry records no write (old_map == new_map)
   * @param used slots whose current entry records a write
   * @param seq how many current entries have seq 0..3
   * @param firstFree free blocks of the first lanes (run-time state)
   */
  public record FlogSummary(String layout, int unused, int used, int[] seq, String firstFree) {}

  /** Summary of arena {@code i}'s flog. */
  public FlogSummary flogSummary(int i) {
    Arena a = arenas[i];
    int unused = 0;
    int used = 0;
    int[] seq = new int[4];
    for (int lane = 0; lane < a.info.nfree(); lane++) {
      Flog.Entry e0 = Flog.Entry.read(medium, a.entryOffset(lane, 0));
      Flog.Entry e1 = Flog.Entry.read(medium, a.entryOffset(lane, 1));
      int c = Flog.current(e0, e1, new StringBuilder());
      if (c < 0) {
        continue;
      }
      Flog.Entry e = c == 0 ? e0 : e1;
      seq[e.seq() & 3]++;
      if (e.oldPost() == e.newPost()) {
        unused++;
      } else {
        used++;
      }
    }
    StringBuilder free = new StringBuilder();
    for (int lane = 0; lane < Math.min(4, a.freeBlock.length); lane++) {
      free.append(lane == 0 ? "" : ", ").append(a.freeBlock[lane]);
    }
    return new FlogSummary(a.secondEntry == 16 ? "(0,1)" : "(0,2)", unused, used, seq, free.toString());
  }

  /** True when no lane is held and every RTT slot is idle (B5's idle condition). */
  public boolean idle() {
    if (lanes.anyHeld()) {
      return false;
    }
    for (Arena a : arenas) {
      for (int i = 0; i < a.rtt.length(); i += Arena.RTT_STRIDE) {
        if (a.rtt.get(i) != Arena.RTT_IDLE) {
          return false;
        }
      }
    }
    return true;
  }

  private int mapEntry(Arena a, int premap) {
    if (a.rolledForwardInMemory) {
      Integer v = a.volatileMap.get(premap);
      if (v != null) {
        return v;
      }
    }
    return medium.loadInt(a.mapEntryOffset(premap));
  }

  private Arena arenaOf(long lba) {
    if (lba < 0 || lba >= blockCount) {
      throw new IllegalArgumentException("block " + lba + " is outside the BTT (blocks 0.." + (blockCount - 1) + ")");
    }
    for (Arena a : arenas) {
      if (lba < a.firstLba + a.externalNlba()) {
        return a;
      }
    }
    throw new IllegalStateException("unreachable: lba " + lba);
  }

  private void ensureWritable(Arena a, long lba) {
    if (readOnly) {
      throw new NvframeIOException(ErrorCode.READ_ONLY, "BTT on " + medium.description()
          + " is open read-only; reopen it writable to write block " + lba);
    }
    String err = a.error;
    if (err != null) {
      throw new NvframeIOException(ErrorCode.READ_ONLY, "BTT arena " + a.index + " of " + medium.description()
          + " is read-only: " + err + "; block " + lba + " cannot be written (run 'nvframe btt check' for details)");
    }
  }

  private NvframeIOException mediaError(Arena a, long lba, int premap, int entry) {
    return new NvframeIOException(ErrorCode.MEDIA_ERROR, "BTT block " + lba + " (arena " + a.index + ", pre-map "
        + premap + ", post-map block " + (entry & POSTMAP_MASK) + ") of " + medium.description()
        + " is marked as a media error; writing the block clears the error");
  }

  private MediaCorruptedException corrupt(Arena a, long lba, int premap, int entry) {
    return new MediaCorruptedException(ErrorCode.HEADER_CORRUPT, String.format("BTT block %d (arena %d, pre-map %d) of %s:"
        + " map entry 0x%08x points past the arena's %d blocks; run 'nvframe btt check'", lba, a.index, premap,
        medium.description(), entry, Integer.toUnsignedLong(a.info.internalNlba())));
  }

  private void ensureOpen() {
    if (!open) {
      throw new io.nvframe.api.AlreadyClosedException("BTT on " + medium.description() + " is closed");
    }
  }

  /** Stops using the medium (it is not closed: the caller owns it). */
  @Override
  public void close() {
    open = false;
  }
}
