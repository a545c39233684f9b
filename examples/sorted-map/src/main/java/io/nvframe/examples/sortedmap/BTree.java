package io.nvframe.examples.sortedmap;

import io.nvframe.api.ErrorCode;
import io.nvframe.api.Frame;
import io.nvframe.api.NvframeConfigurationException;
import io.nvframe.api.Region;
import io.nvframe.api.Transaction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A copy-on-write B+-tree of byte-string keys and values in order-0 frames of one region.
 *
 * <p><b>Crash consistency.</b> A written node is never changed. A put or remove rebuilds the path
 * from the changed leaf to the root in the heap, writes every rebuilt node into a frame allocated in
 * the same transaction (those writes are direct, not logged), frees the frames of the replaced nodes
 * in that transaction, and points the metadata frame at the new root with a few logged 8-byte
 * stores. The redo record of one operation therefore holds about {@code 2 × height} allocator
 * entries and a handful of words, independent of key and value sizes, well inside one log lane.
 *
 * <p><b>Metadata frame</b> (the named root; little-endian):
 *
 * <pre>
 *   0 long  magic "NVSMAP01"     8 int layout version 1    12 int node size (frame size)
 *  16 long  root pfn            24 long root generation
 *  32 long  height (0 = the root is a leaf)
 *  40 long  number of entries
 *  48 long  garbage root pfn (-1 = none)   56 long garbage generation   64 long garbage height
 *  72 key codec name (u8 length, up to 31 bytes)   104 value codec name (same)
 * </pre>
 *
 * The garbage root is a detached tree still to be freed: {@link #clear()} detaches the whole tree
 * in one transaction and then frees it in bounded batches, so that a crash between batches leaves a
 * tree that the next open finishes freeing.
 *
 * <p><b>Concurrency.</b> One {@link ReentrantReadWriteLock} per tree: lookups hold the read lock
 * for one descent, mutations hold the write lock for their whole transaction. Written nodes are
 * immutable, so decoded nodes are cached by frame number (checked against the generation) and may be
 * used outside the lock.
 */
final class BTree {
  static final long MAGIC = 0x3130_5041_4D53_564EL; // "NVSMAP01" little-endian
  static final int VERSION = 1;
  static final long OFF_ROOT_PFN = 16;
  static final long OFF_ROOT_GEN = 24;
  static final long OFF_HEIGHT = 32;
  static final long OFF_SIZE = 40;
  static final long OFF_GARBAGE_PFN = 48;
  static final long OFF_GARBAGE_GEN = 56;
  static final long OFF_GARBAGE_HEIGHT = 64;
  static final int OFF_KEY_CODEC = 72;
  static final int OFF_VALUE_CODEC = 104;
  static final int CODEC_NAME_MAX = 31;
  /** Longest key in bytes. */
  static final int MAX_KEY = 512;
  /** Frames freed per transaction when a detached tree is reclaimed. */
  static final int RECLAIM_BATCH = 64;
  static final int DEFAULT_CACHE_BYTES = 64 << 20;

  final Region region;
  final String name;
  private final Frame meta;
  private final long regionId;
  final int frameSize;
  /** Payload bytes of a node. */
  final int capacity;
  /** Least payload of a node other than the root. */
  final int minFill;
  /** Longest key plus value, in bytes. */
  final int maxEntry;
  final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private final ConcurrentHashMap<Long, Node> cache = new ConcurrentHashMap<>();
  private final AtomicLong cachedBytes = new AtomicLong();
  private final long cacheBudget;

  // guarded by lock; changed only after a commit
  private volatile Node root;
  private volatile int height;
  private volatile long size;
  /** Committed mutations since open; iterators re-seek when it moved. */
  private volatile long modCount;
  private long garbagePfn = -1;
  private int garbageGen;
  private int garbageHeight;

  private BTree(Region region, String name, Frame meta, long cacheBudget) {
    this.region = region;
    this.name = name;
    this.meta = meta;
    this.regionId = meta.regionId();
    this.frameSize = region.info().frameSize();
    this.capacity = frameSize - Node.HEADER;
    this.minFill = capacity / 4;
    this.maxEntry = capacity / 2 - 4;
    this.cacheBudget = cacheBudget;
  }

  /** Opens the tree under root {@code name}, creating an empty one if the root is not set. */
  static BTree openOrCreate(Region region, String name, String keyCodec, String valueCodec, long cacheBytes) {
    Optional<Frame> existing = region.root(name);
    if (existing.isEmpty()) {
      create(region, name, keyCodec, valueCodec);
      existing = region.root(name);
    }
    Frame meta = existing.orElseThrow();
    BTree tree = new BTree(region, name, meta, cacheBytes);
    tree.load(keyCodec, valueCodec);
    if (tree.garbagePfn >= 0) {
      tree.lock.writeLock().lock();
      try {
        tree.reclaimAll();
      } finally {
        tree.lock.writeLock().unlock();
      }
    }
    return tree;
  }

  private static void create(Region region, String name, String keyCodec, String valueCodec) {
    int frameSize = region.info().frameSize();
    try (Transaction tx = region.begin()) {
      if (tx.root(name).isPresent()) {
        return; // another thread created it meanwhile
      }
      Frame rootLeaf = tx.allocate(0);
      tx.write(rootLeaf, 0, Node.leaf(new byte[0][], new byte[0][]).encode(frameSize));
      Frame meta = tx.allocate(0);
      byte[] m = new byte[136];
      java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(m).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      b.putLong(0, MAGIC).putInt(8, VERSION).putInt(12, frameSize);
      b.putLong((int) OFF_ROOT_PFN, rootLeaf.pfn()).putLong((int) OFF_ROOT_GEN, rootLeaf.generation());
      b.putLong((int) OFF_GARBAGE_PFN, -1);
      putName(m, OFF_KEY_CODEC, keyCodec);
      putName(m, OFF_VALUE_CODEC, valueCodec);
      tx.write(meta, 0, m);
      tx.setRoot(name, meta);
      tx.commit();
    }
  }

  private static void putName(byte[] m, int offset, String codec) {
    byte[] n = codec.getBytes(StandardCharsets.UTF_8);
    if (n.length > CODEC_NAME_MAX) {
      throw new IllegalArgumentException("codec name longer than " + CODEC_NAME_MAX + " bytes: " + codec);
    }
    m[offset] = (byte) n.length;
    System.arraycopy(n, 0, m, offset + 1, n.length);
  }

  private String readName(int offset) {
    byte[] m = new byte[CODEC_NAME_MAX + 1];
    region.read(meta, offset, m);
    int n = Math.min(Byte.toUnsignedInt(m[0]), CODEC_NAME_MAX);
    return new String(m, 1, n, StandardCharsets.UTF_8);
  }

  private void load(String keyCodec, String valueCodec) {
    if (region.getLong(meta, 0) != MAGIC) {
      throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID,
          "root '" + name + "' of " + region.info().location() + " does not point to a sorted map (no "
              + "NVSMAP01 magic in frame " + meta.pfn() + "); use another root name");
    }
    long versionAndSize = region.getLong(meta, 8);
    int version = (int) versionAndSize;
    int nodeSize = (int) (versionAndSize >>> 32);
    if (version != VERSION || nodeSize != frameSize) {
      throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID,
          "sorted map '" + name + "' has layout version " + version + " and node size " + nodeSize
              + "; this code reads version " + VERSION + " with node size " + frameSize);
    }
    String storedKey = readName(OFF_KEY_CODEC);
    String storedValue = readName(OFF_VALUE_CODEC);
    if (!storedKey.equals(keyCodec) || !storedValue.equals(valueCodec)) {
      throw new NvframeConfigurationException(ErrorCode.CONFIG_INVALID,
          "sorted map '" + name + "' was created with key codec '" + storedKey + "' and value codec '"
              + storedValue + "', opened with '" + keyCodec + "' and '" + valueCodec
              + "'; open it with the codecs it was created with");
    }
    height = (int) region.getLong(meta, OFF_HEIGHT);
    size = region.getLong(meta, OFF_SIZE);
    root = node(region.getLong(meta, OFF_ROOT_PFN), (int) region.getLong(meta, OFF_ROOT_GEN));
    garbagePfn = region.getLong(meta, OFF_GARBAGE_PFN);
    garbageGen = (int) region.getLong(meta, OFF_GARBAGE_GEN);
    garbageHeight = (int) region.getLong(meta, OFF_GARBAGE_HEIGHT);
  }

  long size() {
    return size;
  }

  int height() {
    return height;
  }

  Frame metaFrame() {
    return meta;
  }

  // ---------------------------------------------------------------- reading

  Node node(long pfn, int gen) {
    Node cached = cache.get(pfn);
    if (cached != null && cached.gen == gen) {
      return cached;
    }
    byte[] bytes = new byte[frameSize];
    region.read(new Frame(pfn, 0, gen, regionId), 0, bytes);
    Node node = Node.decode(bytes, pfn, gen);
    remember(node);
    return node;
  }

  private Node child(Node parent, int i) {
    return node(parent.childPfn[i], parent.childGen[i]);
  }

  private void remember(Node node) {
    if (cachedBytes.get() > cacheBudget) {
      // random-order eviction of about half the budget: ConcurrentHashMap iterates in hash order
      Iterator<Node> it = cache.values().iterator();
      while (it.hasNext() && cachedBytes.get() > cacheBudget / 2) {
        Node n = it.next();
        it.remove();
        cachedBytes.addAndGet(-weight(n));
      }
    }
    if (cache.put(node.pfn, node) == null) {
      cachedBytes.addAndGet(weight(node));
    }
  }

  private static long weight(Node n) {
    return 64L + n.payload + 48L * n.count();
  }

  private void forget(long pfn) {
    Node removed = cache.remove(pfn);
    if (removed != null) {
      cachedBytes.addAndGet(-weight(removed));
    }
  }

  byte[] get(byte[] key) {
    lock.readLock().lock();
    try {
      Node n = root;
      while (!n.isLeaf()) {
        n = child(n, n.childIndex(key));
      }
      int i = n.search(key);
      return i >= 0 ? n.values[i] : null;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Relations for {@link #find}. */
  enum Rel {
    LT, LE, GE, GT, FIRST, LAST
  }

  /** An entry in a leaf; the node is immutable, so the position stays readable outside the lock. */
  record Position(Node leaf, int index) {
    byte[] key() {
      return leaf.keys[index];
    }

    byte[] value() {
      return leaf.values[index];
    }
  }

  /** The entry in relation {@code rel} to {@code key} (ignored for FIRST and LAST), or null. */
  Position find(byte[] key, Rel rel) {
    lock.readLock().lock();
    try {
      Deque<int[]> path = new ArrayDeque<>();
      Deque<Node> nodes = new ArrayDeque<>();
      Node n = root;
      while (!n.isLeaf()) {
        int ci = switch (rel) {
          case FIRST -> 0;
          case LAST -> n.count() - 1;
          default -> n.childIndex(key);
        };
        nodes.push(n);
        path.push(new int[] {ci});
        n = child(n, ci);
      }
      int idx;
      if (rel == Rel.FIRST) {
        idx = 0;
      } else if (rel == Rel.LAST) {
        idx = n.count() - 1;
      } else {
        int s = n.search(key);
        int lower = s >= 0 ? s : -s - 1; // first index with key >= argument
        int upper = s >= 0 ? s + 1 : -s - 1; // first index with key > argument
        idx = switch (rel) {
          case GE -> lower;
          case GT -> upper;
          case LE -> upper - 1;
          default -> lower - 1;
        };
      }
      if (idx >= 0 && idx < n.count()) {
        return new Position(n, idx);
      }
      boolean ascending = idx >= n.count();
      while (!nodes.isEmpty()) {
        Node p = nodes.pop();
        int ci = path.pop()[0] + (ascending ? 1 : -1);
        if (ci >= 0 && ci < p.count()) {
          Node c = child(p, ci);
          while (!c.isLeaf()) {
            c = child(c, ascending ? 0 : c.count() - 1);
          }
          return new Position(c, ascending ? 0 : c.count() - 1);
        }
      }
      return null;
    } finally {
      lock.readLock().unlock();
    }
  }

  // ---------------------------------------------------------------- writing

  /** What one mutation changed; applied to the heap state after its commit. */
  private final class Change {
    final Transaction tx;
    final List<Node> written = new ArrayList<>();
    final List<Long> freed = new ArrayList<>();

    Change(Transaction tx) {
      this.tx = tx;
    }

    Node write(Node n) {
      Frame f = tx.allocate(0);
      tx.write(f, 0, n.encode(frameSize));
      n.pfn = f.pfn();
      n.gen = f.generation();
      written.add(n);
      return n;
    }

    void free(long pfn, int gen) {
      tx.free(new Frame(pfn, 0, gen, regionId));
      freed.add(pfn);
    }

    void free(Node n) {
      free(n.pfn, n.gen);
    }

    /** A node written in this transaction (not readable through the cache yet), else the stored one. */
    Node writtenOrRead(long pfn, int gen) {
      for (Node n : written) {
        if (n.pfn == pfn && n.gen == gen) {
          return n;
        }
      }
      return node(pfn, gen);
    }

    void applyAfterCommit() {
      for (long pfn : freed) {
        forget(pfn);
      }
      for (Node n : written) {
        remember(n);
      }
    }
  }

  void checkSizes(byte[] key, byte[] value) {
    if (key.length > MAX_KEY) {
      throw new IllegalArgumentException("key of " + key.length + " bytes is longer than the limit of "
          + MAX_KEY + " bytes of sorted map '" + name + "'");
    }
    if (value != null && key.length + value.length > maxEntry) {
      throw new IllegalArgumentException("key and value of " + (key.length + value.length)
          + " bytes exceed the limit of " + maxEntry + " bytes per entry of sorted map '" + name
          + "' (half a " + frameSize + "-byte frame)");
    }
  }

  /** Stores {@code value} under {@code key}; returns the previous value or null. */
  byte[] put(byte[] key, byte[] value) {
    checkSizes(key, value);
    lock.writeLock().lock();
    try {
      byte[][] previous = new byte[1][];
      try (Transaction tx = region.begin()) {
        Change ch = new Change(tx);
        Node changed = putInto(ch, root, key, value, previous);
        if (changed == null) {
          return previous[0]; // same value already stored
        }
        replaceRoot(ch, changed, previous[0] == null ? size + 1 : size);
      }
      return previous[0];
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Removes {@code key}; returns the removed value or null. */
  byte[] remove(byte[] key) {
    lock.writeLock().lock();
    try {
      byte[][] previous = new byte[1][];
      try (Transaction tx = region.begin()) {
        Change ch = new Change(tx);
        Node changed = removeFrom(ch, root, key, previous);
        if (changed == null) {
          return null;
        }
        replaceRoot(ch, changed, size - 1);
      }
      return previous[0];
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** Frees the root, writes its new version (split into a new root, or collapsed) and commits. */
  private void replaceRoot(Change ch, Node changed, long newSize) {
    ch.free(root);
    if (changed.payload > capacity) {
      Split halves = split(changed);
      ch.write(halves.left());
      ch.write(halves.right());
      Node newRoot = ch.write(Node.internal(changed.level + 1, new byte[][] {null, halves.sep()},
          new long[] {halves.left().pfn, halves.right().pfn}, new int[] {halves.left().gen, halves.right().gen}));
      publish(ch, newRoot, height + 1, newSize);
    } else if (!changed.isLeaf() && changed.count() == 1) {
      publish(ch, ch.writtenOrRead(changed.childPfn[0], changed.childGen[0]), height - 1, newSize);
    } else {
      publish(ch, ch.write(changed), height, newSize);
    }
  }

  private void publish(Change ch, Node newRoot, int newHeight, long newSize) {
    Transaction tx = ch.tx;
    tx.putLong(meta, OFF_ROOT_PFN, newRoot.pfn);
    tx.putLong(meta, OFF_ROOT_GEN, newRoot.gen);
    if (newHeight != height) {
      tx.putLong(meta, OFF_HEIGHT, newHeight);
    }
    if (newSize != size) {
      tx.putLong(meta, OFF_SIZE, newSize);
    }
    tx.commit();
    ch.applyAfterCommit();
    root = newRoot;
    height = newHeight;
    size = newSize;
    modCount++;
  }

  long modCount() {
    return modCount;
  }

  /** The new (unwritten, possibly oversized) version of {@code n}, or null if nothing changes. */
  private Node putInto(Change ch, Node n, byte[] key, byte[] value, byte[][] previous) {
    if (n.isLeaf()) {
      int i = n.search(key);
      if (i >= 0) {
        previous[0] = n.values[i];
        if (Arrays.equals(n.values[i], value)) {
          return null;
        }
        byte[][] values = n.values.clone();
        values[i] = value;
        return Node.leaf(n.keys, values);
      }
      int at = -i - 1;
      return Node.leaf(insert(n.keys, at, key), insert(n.values, at, value));
    }
    int ci = n.childIndex(key);
    Node c = child(n, ci);
    Node changed = putInto(ch, c, key, value, previous);
    if (changed == null) {
      return null;
    }
    ch.free(c);
    return fixChild(ch, n, ci, changed);
  }

  /** The new (unwritten, possibly underfull) version of {@code n}, or null if the key is absent. */
  private Node removeFrom(Change ch, Node n, byte[] key, byte[][] previous) {
    if (n.isLeaf()) {
      int i = n.search(key);
      if (i < 0) {
        return null;
      }
      previous[0] = n.values[i];
      return Node.leaf(delete(n.keys, i), delete(n.values, i));
    }
    int ci = n.childIndex(key);
    Node c = child(n, ci);
    Node changed = removeFrom(ch, c, key, previous);
    if (changed == null) {
      return null;
    }
    ch.free(c);
    return fixChild(ch, n, ci, changed);
  }

  /**
   * {@code parent} (unwritten) with child {@code ci} replaced by {@code changed}: written as is if
   * its payload is within bounds, split if oversized, merged with or balanced against a sibling if
   * underfull. A value update can make a leaf shrink and a new separator can make a parent grow, so
   * both directions are handled on every path.
   */
  private Node fixChild(Change ch, Node n, int ci, Node changed) {
    if (changed.payload > capacity) {
      return replaceChildren(ch, n, ci, 1, split(changed));
    }
    if (changed.payload >= minFill) {
      return replaceChildren(n, ci, 1, new Node[] {ch.write(changed)}, null);
    }
    // underfull: merge with a sibling, or share entries with it
    int left = ci + 1 < n.count() ? ci : ci - 1;
    Node leftNode = left == ci ? changed : child(n, left);
    Node rightNode = left == ci ? child(n, ci + 1) : changed;
    ch.free(left == ci ? rightNode : leftNode);
    Node merged = concat(leftNode, n.keys[left + 1], rightNode);
    if (merged.payload <= capacity) {
      return replaceChildren(n, left, 2, new Node[] {ch.write(merged)}, null);
    }
    return replaceChildren(ch, n, left, 2, split(merged));
  }

  /**
   * {@code parent} with children {@code [at, at + count)} replaced by the written {@code nodes}; the
   * key before {@code nodes[0]} stays, {@code nodes[1]} (if any) gets {@code sep}.
   */
  private static Node replaceChildren(Node parent, int at, int count, Node[] nodes, byte[] sep) {
    int n = parent.count() - count + nodes.length;
    byte[][] keys = new byte[n][];
    long[] pfns = new long[n];
    int[] gens = new int[n];
    System.arraycopy(parent.keys, 0, keys, 0, at);
    System.arraycopy(parent.childPfn, 0, pfns, 0, at);
    System.arraycopy(parent.childGen, 0, gens, 0, at);
    for (int j = 0; j < nodes.length; j++) {
      keys[at + j] = j == 0 ? parent.keys[at] : sep;
      pfns[at + j] = nodes[j].pfn;
      gens[at + j] = nodes[j].gen;
    }
    int tail = parent.count() - at - count;
    System.arraycopy(parent.keys, at + count, keys, at + nodes.length, tail);
    System.arraycopy(parent.childPfn, at + count, pfns, at + nodes.length, tail);
    System.arraycopy(parent.childGen, at + count, gens, at + nodes.length, tail);
    return Node.internal(parent.level, keys, pfns, gens);
  }

  /** {@code parent} with children {@code [at, at + count)} replaced by the two halves, written now. */
  private Node replaceChildren(Change ch, Node parent, int at, int count, Split halves) {
    ch.write(halves.left());
    ch.write(halves.right());
    return replaceChildren(parent, at, count, new Node[] {halves.left(), halves.right()}, halves.sep());
  }

  /** Left and right joined; for internal nodes {@code sep} becomes the key of right's first child. */
  private static Node concat(Node left, byte[] sep, Node right) {
    int n = left.count() + right.count();
    byte[][] keys = new byte[n][];
    System.arraycopy(left.keys, 0, keys, 0, left.count());
    System.arraycopy(right.keys, 0, keys, left.count(), right.count());
    if (left.isLeaf()) {
      byte[][] values = new byte[n][];
      System.arraycopy(left.values, 0, values, 0, left.count());
      System.arraycopy(right.values, 0, values, left.count(), right.count());
      return Node.leaf(keys, values);
    }
    keys[left.count()] = sep;
    long[] pfns = new long[n];
    int[] gens = new int[n];
    System.arraycopy(left.childPfn, 0, pfns, 0, left.count());
    System.arraycopy(right.childPfn, 0, pfns, left.count(), right.count());
    System.arraycopy(left.childGen, 0, gens, 0, left.count());
    System.arraycopy(right.childGen, 0, gens, left.count(), right.count());
    return Node.internal(left.level, keys, pfns, gens);
  }

  /** Two halves of an oversized node and the key that separates them in the parent. */
  private record Split(Node left, Node right, byte[] sep) {}

  /** Splits an oversized node at the point that minimises the larger half. */
  private Split split(Node n) {
    int count = n.count();
    int[] prefix = new int[count + 1];
    for (int i = 0; i < count; i++) {
      prefix[i + 1] = prefix[i] + n.entrySize(i);
    }
    int best = -1;
    int bestMax = Integer.MAX_VALUE;
    for (int m = 1; m < count; m++) {
      int leftBytes = prefix[m];
      int rightBytes = prefix[count] - prefix[m];
      if (!n.isLeaf()) {
        rightBytes = rightBytes - Node.childEntrySize(1, n.keys[m]) + Node.CHILD_REF; // key moves up
      }
      int max = Math.max(leftBytes, rightBytes);
      if (max < bestMax) {
        bestMax = max;
        best = m;
      }
    }
    if (best < 0 || bestMax > capacity) {
      throw new IllegalStateException("cannot split a node of " + count + " entries into two frames");
    }
    return new Split(slice(n, 0, best), slice(n, best, count), n.keys[best]);
  }

  /** Entries {@code [from, to)} of {@code n} as a new node (an internal slice's first key is null). */
  private static Node slice(Node n, int from, int to) {
    byte[][] keys = Arrays.copyOfRange(n.keys, from, to);
    if (n.isLeaf()) {
      return Node.leaf(keys, Arrays.copyOfRange(n.values, from, to));
    }
    keys[0] = null;
    return Node.internal(n.level, keys, Arrays.copyOfRange(n.childPfn, from, to),
        Arrays.copyOfRange(n.childGen, from, to));
  }

  private static byte[][] insert(byte[][] a, int at, byte[] x) {
    byte[][] r = new byte[a.length + 1][];
    System.arraycopy(a, 0, r, 0, at);
    r[at] = x;
    System.arraycopy(a, at, r, at + 1, a.length - at);
    return r;
  }

  private static byte[][] delete(byte[][] a, int at) {
    byte[][] r = new byte[a.length - 1][];
    System.arraycopy(a, 0, r, 0, at);
    System.arraycopy(a, at + 1, r, at, a.length - at - 1);
    return r;
  }

  // ---------------------------------------------------------------- clear and reclaim

  /** Empties the tree in one transaction, then frees the detached nodes in bounded batches. */
  void clear() {
    lock.writeLock().lock();
    try {
      reclaimAll();
      if (size == 0 && root.isLeaf()) {
        return;
      }
      try (Transaction tx = region.begin()) {
        Change ch = new Change(tx);
        Node empty = ch.write(Node.leaf(new byte[0][], new byte[0][]));
        Node old = root;
        if (height == 0) {
          ch.free(old);
        } else {
          tx.putLong(meta, OFF_GARBAGE_PFN, old.pfn);
          tx.putLong(meta, OFF_GARBAGE_GEN, old.gen);
          tx.putLong(meta, OFF_GARBAGE_HEIGHT, height);
        }
        int oldHeight = height;
        publish(ch, empty, 0, 0);
        if (oldHeight > 0) {
          garbagePfn = old.pfn;
          garbageGen = old.gen;
          garbageHeight = oldHeight;
        }
      }
      reclaimAll();
    } finally {
      lock.writeLock().unlock();
    }
  }

  private void reclaimAll() {
    while (garbagePfn >= 0) {
      try (Transaction tx = region.begin()) {
        Change ch = new Change(tx);
        int[] budget = {RECLAIM_BATCH};
        Node rest = reclaim(ch, node(garbagePfn, garbageGen), garbageHeight, budget);
        long pfn = rest == null ? -1 : rest.pfn;
        tx.putLong(meta, OFF_GARBAGE_PFN, pfn);
        tx.putLong(meta, OFF_GARBAGE_GEN, rest == null ? 0 : rest.gen);
        tx.commit();
        ch.applyAfterCommit();
        garbagePfn = pfn;
        garbageGen = rest == null ? 0 : rest.gen;
      }
    }
  }

  /** Frees part of a detached subtree; returns the written remainder, or null if all was freed. */
  private Node reclaim(Change ch, Node n, int level, int[] budget) {
    ch.free(n);
    if (level == 0) {
      budget[0]--;
      return null;
    }
    int from = 0;
    Node firstRest = null;
    if (level == 1) {
      int k = Math.min(Math.max(budget[0], 1), n.count());
      for (int i = 0; i < k; i++) {
        ch.free(n.childPfn[i], n.childGen[i]);
      }
      budget[0] -= k;
      from = k;
    } else {
      firstRest = reclaim(ch, child(n, 0), level - 1, budget);
      from = firstRest == null ? 1 : 0;
    }
    if (from >= n.count()) {
      return null;
    }
    Node rest = slice(n, from, n.count());
    if (firstRest != null) {
      rest.childPfn[0] = firstRest.pfn;
      rest.childGen[0] = firstRest.gen;
    }
    return ch.write(rest);
  }

  /** Removes every frame of the tree and its root name (one transaction per batch of frees). */
  void drop() {
    lock.writeLock().lock();
    try {
      clear();
      try (Transaction tx = region.begin()) {
        tx.free(new Frame(root.pfn, 0, root.gen, regionId));
        tx.free(meta);
        tx.removeRoot(name);
        tx.commit();
      }
      forget(root.pfn);
    } finally {
      lock.writeLock().unlock();
    }
  }

  // ---------------------------------------------------------------- invariants

  /** Facts established by {@link #verify()}. */
  record Shape(long entries, int height, long nodes, long leaves, Set<Long> frames) {}

  /**
   * Walks the whole tree and throws {@link IllegalStateException} naming the first violated
   * invariant: keys strictly ascending and inside their separators, every leaf at depth {@code
   * height}, node levels consistent, payload within {@code [capacity / 4, capacity]} for every node
   * but the root, internal nodes with at least two children, entry count equal to the recorded size,
   * no frame reached twice. The frames returned include the metadata frame and any detached tree.
   */
  Shape verify() {
    lock.readLock().lock();
    try {
      Set<Long> frames = new HashSet<>();
      frames.add(meta.pfn());
      long[] counts = new long[3]; // entries, nodes, leaves
      Node r = node(root.pfn, root.gen);
      if (r.level != height) {
        throw new IllegalStateException("root level " + r.level + " but height " + height);
      }
      if (!r.isLeaf() && r.count() < 2) {
        throw new IllegalStateException("internal root with " + r.count() + " child");
      }
      walk(r, null, null, true, frames, counts);
      if (counts[0] != size) {
        throw new IllegalStateException(counts[0] + " entries in the tree, size recorded " + size);
      }
      if (garbagePfn >= 0) {
        walkGarbage(node(garbagePfn, garbageGen), frames);
      }
      return new Shape(counts[0], height, counts[1], counts[2], frames);
    } finally {
      lock.readLock().unlock();
    }
  }

  private void walk(Node n, byte[] lo, byte[] hi, boolean isRoot, Set<Long> frames, long[] counts) {
    if (!frames.add(n.pfn)) {
      throw new IllegalStateException("frame " + n.pfn + " reached twice");
    }
    counts[1]++;
    if (n.payload > capacity || (!isRoot && n.payload < minFill)) {
      throw new IllegalStateException("node " + n.pfn + " holds " + n.payload + " payload bytes, outside ["
          + minFill + ", " + capacity + "]");
    }
    int first = n.isLeaf() ? 0 : 1;
    for (int i = first; i < n.count(); i++) {
      byte[] k = n.keys[i];
      if (i > first && Arrays.compareUnsigned(n.keys[i - 1], k) >= 0) {
        throw new IllegalStateException("keys out of order in node " + n.pfn + " at " + i);
      }
      if ((lo != null && Arrays.compareUnsigned(k, lo) < 0) || (hi != null && Arrays.compareUnsigned(k, hi) >= 0)) {
        throw new IllegalStateException("key " + i + " of node " + n.pfn + " outside its separators");
      }
    }
    if (n.isLeaf()) {
      counts[0] += n.count();
      counts[2]++;
      if (!isRoot && n.count() == 0) {
        throw new IllegalStateException("empty leaf " + n.pfn);
      }
      return;
    }
    if (n.count() < 2) {
      throw new IllegalStateException("internal node " + n.pfn + " with " + n.count() + " child");
    }
    for (int i = 0; i < n.count(); i++) {
      Node c = child(n, i);
      if (c.level != n.level - 1) {
        throw new IllegalStateException("node " + c.pfn + " at level " + c.level + " under level " + n.level);
      }
      walk(c, i == 0 ? lo : n.keys[i], i + 1 < n.count() ? n.keys[i + 1] : hi, false, frames, counts);
    }
  }

  private void walkGarbage(Node n, Set<Long> frames) {
    if (!frames.add(n.pfn)) {
      throw new IllegalStateException("detached frame " + n.pfn + " reached twice");
    }
    if (!n.isLeaf()) {
      for (int i = 0; i < n.count(); i++) {
        walkGarbage(child(n, i), frames);
      }
    }
  }
}
