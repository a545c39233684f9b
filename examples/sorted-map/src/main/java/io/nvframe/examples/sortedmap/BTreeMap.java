package io.nvframe.examples.sortedmap;

import io.nvframe.api.Region;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.ConcurrentModificationException;
import java.util.Iterator;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;

/**
 * A persistent, crash-consistent {@link NavigableMap} on a B+-tree in the frames of a {@link Region}
 * (see {@code BTree} for the layout and the crash-consistency argument).
 *
 * <p>Every mutating call on one entry ({@code put}, {@code remove}, {@code pollFirstEntry}, an
 * entry's {@code setValue}, an iterator's {@code remove}) is one transaction. {@link #clear()} of
 * the whole map is one transaction that detaches the tree, followed by transactions that free it in
 * batches (a crash between them leaves the map empty and the next open finishes freeing). Bulk
 * operations that {@link AbstractMap} builds from single-entry calls ({@code putAll}, {@code clear()}
 * of a sub-map view, {@code removeAll} on views) are one transaction per entry.
 *
 * <p>Keys are ordered by their encoded bytes, unsigned and lexicographically; {@link #comparator()}
 * is the key codec's matching comparator (never null). Values are decoded afresh on every read, so
 * {@code byte[]} values are copies: {@link #containsValue} and {@code entrySet().contains} compare
 * encoded bytes, while {@link #equals} and {@link #hashCode} follow {@link Map}'s contract with the
 * value type's own {@code equals}.
 *
 * <p>Views ({@code subMap}, {@code headMap}, {@code tailMap}, {@code descendingMap}, key sets,
 * {@code values}, {@code entrySet}) are live. Iterators are weakly consistent: they never throw
 * {@link ConcurrentModificationException}, and after a mutation by anyone they continue from the
 * last key returned. Null keys and values are rejected with {@link NullPointerException}.
 *
 * <p>Thread-safe: one read-write lock per tree; reads share it, each mutation holds it exclusively
 * for its transaction. Compound operations inherited from {@link Map} ({@code putIfAbsent}, {@code
 * merge}, ...) are not atomic.
 *
 * @param <K> key type
 * @param <V> value type
 */
public final class BTreeMap<K, V> extends AbstractMap<K, V> implements NavigableMap<K, V> {
  private final BTree tree;
  private final Codec<K> keys;
  private final Codec<V> values;
  /** Absolute (ascending) bounds; null = unbounded. */
  private final byte[] lo;
  private final boolean loInclusive;
  private final byte[] hi;
  private final boolean hiInclusive;
  private final boolean descending;

  private BTreeMap(BTree tree, Codec<K> keys, Codec<V> values, byte[] lo, boolean loInclusive, byte[] hi,
      boolean hiInclusive, boolean descending) {
    this.tree = tree;
    this.keys = keys;
    this.values = values;
    this.lo = lo;
    this.loInclusive = loInclusive;
    this.hi = hi;
    this.hiInclusive = hiInclusive;
    this.descending = descending;
  }

  /**
   * Opens the map stored under root {@code rootName} of {@code region}, creating an empty one if
   * the root is not set. Throws {@link io.nvframe.api.NvframeConfigurationException} if the root
   * holds something else or a map created with other codecs.
   */
  public static <K, V> BTreeMap<K, V> open(Region region, String rootName, Codec<K> keys, Codec<V> values) {
    return open(region, rootName, keys, values, BTree.DEFAULT_CACHE_BYTES);
  }

  /** As {@link #open(Region, String, Codec, Codec)}, with a budget for decoded nodes kept in the heap. */
  public static <K, V> BTreeMap<K, V> open(Region region, String rootName, Codec<K> keys, Codec<V> values,
      long cacheBytes) {
    Objects.requireNonNull(region, "region");
    Objects.requireNonNull(rootName, "rootName");
    Objects.requireNonNull(keys, "keys");
    Objects.requireNonNull(values, "values");
    BTree tree = BTree.openOrCreate(region, rootName, keys.name(), values.name(), cacheBytes);
    return new BTreeMap<>(tree, keys, values, null, false, null, false, false);
  }

  /** Shape of the whole tree, as verified by {@link #verifyTree()}. */
  public record TreeShape(long entries, int height, long nodes, long leaves, long frames) {}

  /**
   * Walks the whole tree (not only this view) and checks its invariants: keys strictly ascending
   * and within their parents' separators, all leaves at one depth, node payloads within [1/4, 1] of
   * a frame except the root, the recorded size. Throws {@link IllegalStateException} naming the
   * first violation. {@code frames} counts every frame the map owns (metadata, nodes, any tree still
   * being freed), so it equals the region's allocated frames when the map is the region's only user.
   */
  public TreeShape verifyTree() {
    BTree.Shape s = tree.verify();
    return new TreeShape(s.entries(), s.height(), s.nodes(), s.leaves(), s.frames().size());
  }

  /** Frees every frame of the whole map and removes its root; the map must not be used afterwards. */
  public void drop() {
    tree.drop();
  }

  /** The region the map lives in. */
  public Region region() {
    return tree.region;
  }

  // ---------------------------------------------------------------- keys and bounds

  private byte[] encodeKey(Object key) {
    Objects.requireNonNull(key, "key");
    if (!keys.type().isInstance(key)) {
      throw new ClassCastException(key.getClass().getName() + " is not a " + keys.type().getName());
    }
    return keys.encode(keys.type().cast(key));
  }

  /** The encoded key, or null if {@code key} cannot be in this map (wrong type). */
  private byte[] encodeQuery(Object key) {
    Objects.requireNonNull(key, "key");
    return keys.type().isInstance(key) ? keys.encode(keys.type().cast(key)) : null;
  }

  private static int cmp(byte[] a, byte[] b) {
    return Arrays.compareUnsigned(a, b);
  }

  private boolean tooLow(byte[] k) {
    if (lo == null) {
      return false;
    }
    int c = cmp(k, lo);
    return c < 0 || (c == 0 && !loInclusive);
  }

  private boolean tooHigh(byte[] k) {
    if (hi == null) {
      return false;
    }
    int c = cmp(k, hi);
    return c > 0 || (c == 0 && !hiInclusive);
  }

  private boolean inRange(byte[] k) {
    return !tooLow(k) && !tooHigh(k);
  }

  /** Whether {@code k} may bound a sub-view with the given inclusiveness (as {@link java.util.TreeMap}). */
  private boolean boundInRange(byte[] k, boolean inclusive) {
    if (lo != null) {
      int c = cmp(k, lo);
      if (c < 0 || (c == 0 && !loInclusive && inclusive)) {
        return false;
      }
    }
    if (hi != null) {
      int c = cmp(k, hi);
      return !(c > 0 || (c == 0 && !hiInclusive && inclusive));
    }
    return true;
  }

  private boolean fullRange() {
    return lo == null && hi == null;
  }

  // ---------------------------------------------------------------- positions in absolute order

  private BTree.Position checkHigh(BTree.Position p) {
    return p == null || tooHigh(p.key()) ? null : p;
  }

  private BTree.Position checkLow(BTree.Position p) {
    return p == null || tooLow(p.key()) ? null : p;
  }

  private BTree.Position absLowest() {
    return checkHigh(lo == null ? tree.find(null, BTree.Rel.FIRST) : tree.find(lo, loInclusive ? BTree.Rel.GE : BTree.Rel.GT));
  }

  private BTree.Position absHighest() {
    return checkLow(hi == null ? tree.find(null, BTree.Rel.LAST) : tree.find(hi, hiInclusive ? BTree.Rel.LE : BTree.Rel.LT));
  }

  private BTree.Position absCeiling(byte[] k) {
    return tooLow(k) ? absLowest() : checkHigh(tree.find(k, BTree.Rel.GE));
  }

  private BTree.Position absHigher(byte[] k) {
    return tooLow(k) ? absLowest() : checkHigh(tree.find(k, BTree.Rel.GT));
  }

  private BTree.Position absFloor(byte[] k) {
    return tooHigh(k) ? absHighest() : checkLow(tree.find(k, BTree.Rel.LE));
  }

  private BTree.Position absLower(byte[] k) {
    return tooHigh(k) ? absHighest() : checkLow(tree.find(k, BTree.Rel.LT));
  }

  private BTree.Position first() {
    return descending ? absHighest() : absLowest();
  }

  private BTree.Position last() {
    return descending ? absLowest() : absHighest();
  }

  /** The next position after key {@code k} in this view's order. */
  private BTree.Position after(byte[] k) {
    return descending ? absLower(k) : absHigher(k);
  }

  private K key(BTree.Position p) {
    return keys.decode(p.key());
  }

  private Entry<K, V> snapshot(BTree.Position p) {
    return p == null ? null : new SimpleImmutableEntry<>(keys.decode(p.key()), values.decode(p.value()));
  }

  private K keyOrNull(BTree.Position p) {
    return p == null ? null : key(p);
  }

  private K keyOrThrow(BTree.Position p) {
    if (p == null) {
      throw new NoSuchElementException("the map is empty");
    }
    return key(p);
  }

  // ---------------------------------------------------------------- Map

  @Override
  public int size() {
    if (fullRange()) {
      return (int) Math.min(Integer.MAX_VALUE, tree.size());
    }
    int n = 0;
    for (Iterator<Entry<K, V>> it = new EntryIterator(); it.hasNext(); it.next()) {
      n++;
    }
    return n;
  }

  @Override
  public boolean isEmpty() {
    return fullRange() ? tree.size() == 0 : first() == null;
  }

  @Override
  public boolean containsKey(Object key) {
    byte[] k = encodeQuery(key);
    return k != null && inRange(k) && tree.get(k) != null;
  }

  @Override
  public V get(Object key) {
    byte[] k = encodeQuery(key);
    if (k == null || !inRange(k)) {
      return null;
    }
    byte[] v = tree.get(k);
    return v == null ? null : values.decode(v);
  }

  /** Compares encoded bytes, so {@code byte[]} values are found by content. */
  @Override
  public boolean containsValue(Object value) {
    Objects.requireNonNull(value, "value");
    if (!values.type().isInstance(value)) {
      return false;
    }
    byte[] v = values.encode(values.type().cast(value));
    for (EntryIterator it = new EntryIterator(); it.hasNext(); ) {
      if (Arrays.equals(it.nextPosition().value(), v)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public V put(K key, V value) {
    byte[] k = encodeKey(key);
    Objects.requireNonNull(value, "value");
    if (!inRange(k)) {
      throw new IllegalArgumentException("key out of the range of this view: " + key);
    }
    byte[] old = tree.put(k, values.encode(value));
    return old == null ? null : values.decode(old);
  }

  @Override
  public V remove(Object key) {
    byte[] k = encodeQuery(key);
    if (k == null || !inRange(k)) {
      return null;
    }
    byte[] old = tree.remove(k);
    return old == null ? null : values.decode(old);
  }

  @Override
  public void clear() {
    if (fullRange()) {
      tree.clear();
      return;
    }
    for (Iterator<Entry<K, V>> it = new EntryIterator(); it.hasNext(); ) {
      it.next();
      it.remove();
    }
  }

  // ---------------------------------------------------------------- SortedMap / NavigableMap

  @Override
  public Comparator<? super K> comparator() {
    return descending ? Collections.reverseOrder(keys.comparator()) : keys.comparator();
  }

  @Override
  public K firstKey() {
    return keyOrThrow(first());
  }

  @Override
  public K lastKey() {
    return keyOrThrow(last());
  }

  @Override
  public Entry<K, V> firstEntry() {
    return snapshot(first());
  }

  @Override
  public Entry<K, V> lastEntry() {
    return snapshot(last());
  }

  @Override
  public Entry<K, V> pollFirstEntry() {
    return poll(true);
  }

  @Override
  public Entry<K, V> pollLastEntry() {
    return poll(false);
  }

  private Entry<K, V> poll(boolean firstOne) {
    tree.lock.writeLock().lock();
    try {
      BTree.Position p = firstOne ? first() : last();
      if (p == null) {
        return null;
      }
      Entry<K, V> e = snapshot(p);
      tree.remove(p.key());
      return e;
    } finally {
      tree.lock.writeLock().unlock();
    }
  }

  private BTree.Position lowerPosition(Object key) {
    byte[] k = encodeKey(key);
    return descending ? absHigher(k) : absLower(k);
  }

  private BTree.Position floorPosition(Object key) {
    byte[] k = encodeKey(key);
    return descending ? absCeiling(k) : absFloor(k);
  }

  private BTree.Position ceilingPosition(Object key) {
    byte[] k = encodeKey(key);
    return descending ? absFloor(k) : absCeiling(k);
  }

  private BTree.Position higherPosition(Object key) {
    byte[] k = encodeKey(key);
    return descending ? absLower(k) : absHigher(k);
  }

  @Override
  public Entry<K, V> lowerEntry(K key) {
    return snapshot(lowerPosition(key));
  }

  @Override
  public K lowerKey(K key) {
    return keyOrNull(lowerPosition(key));
  }

  @Override
  public Entry<K, V> floorEntry(K key) {
    return snapshot(floorPosition(key));
  }

  @Override
  public K floorKey(K key) {
    return keyOrNull(floorPosition(key));
  }

  @Override
  public Entry<K, V> ceilingEntry(K key) {
    return snapshot(ceilingPosition(key));
  }

  @Override
  public K ceilingKey(K key) {
    return keyOrNull(ceilingPosition(key));
  }

  @Override
  public Entry<K, V> higherEntry(K key) {
    return snapshot(higherPosition(key));
  }

  @Override
  public K higherKey(K key) {
    return keyOrNull(higherPosition(key));
  }

  @Override
  public NavigableMap<K, V> descendingMap() {
    return new BTreeMap<>(tree, keys, values, lo, loInclusive, hi, hiInclusive, !descending);
  }

  @Override
  public NavigableSet<K> navigableKeySet() {
    return new KeySet<>(this);
  }

  @Override
  public Set<K> keySet() {
    return navigableKeySet();
  }

  @Override
  public NavigableSet<K> descendingKeySet() {
    return descendingMap().navigableKeySet();
  }

  @Override
  public NavigableMap<K, V> subMap(K fromKey, boolean fromInclusive, K toKey, boolean toInclusive) {
    byte[] f = encodeKey(fromKey);
    byte[] t = encodeKey(toKey);
    int c = cmp(f, t);
    if (descending ? c < 0 : c > 0) {
      throw new IllegalArgumentException("fromKey " + fromKey + " is after toKey " + toKey);
    }
    return descending ? view(t, toInclusive, f, fromInclusive) : view(f, fromInclusive, t, toInclusive);
  }

  @Override
  public NavigableMap<K, V> headMap(K toKey, boolean inclusive) {
    byte[] t = encodeKey(toKey);
    return descending ? view(t, inclusive, hi, hiInclusive, true, false) : view(lo, loInclusive, t, inclusive, false, true);
  }

  @Override
  public NavigableMap<K, V> tailMap(K fromKey, boolean inclusive) {
    byte[] f = encodeKey(fromKey);
    return descending ? view(lo, loInclusive, f, inclusive, false, true) : view(f, inclusive, hi, hiInclusive, true, false);
  }

  @Override
  public NavigableMap<K, V> subMap(K fromKey, K toKey) {
    return subMap(fromKey, true, toKey, false);
  }

  @Override
  public NavigableMap<K, V> headMap(K toKey) {
    return headMap(toKey, false);
  }

  @Override
  public NavigableMap<K, V> tailMap(K fromKey) {
    return tailMap(fromKey, true);
  }

  private BTreeMap<K, V> view(byte[] newLo, boolean newLoInc, byte[] newHi, boolean newHiInc) {
    return view(newLo, newLoInc, newHi, newHiInc, true, true);
  }

  /** A view with new absolute bounds; the bounds flagged as new must lie inside this view. */
  private BTreeMap<K, V> view(byte[] newLo, boolean newLoInc, byte[] newHi, boolean newHiInc, boolean checkLo,
      boolean checkHi) {
    if ((checkLo && !boundInRange(newLo, newLoInc)) || (checkHi && !boundInRange(newHi, newHiInc))) {
      throw new IllegalArgumentException("bound out of the range of this view");
    }
    return new BTreeMap<>(tree, keys, values, newLo, newLoInc, newHi, newHiInc, descending);
  }

  // ---------------------------------------------------------------- entries and iteration

  @Override
  public Set<Entry<K, V>> entrySet() {
    return new AbstractSet<>() {
      @Override
      public Iterator<Entry<K, V>> iterator() {
        return new EntryIterator();
      }

      @Override
      public int size() {
        return BTreeMap.this.size();
      }

      @Override
      public boolean isEmpty() {
        return BTreeMap.this.isEmpty();
      }

      @Override
      public boolean contains(Object o) {
        if (!(o instanceof Entry<?, ?> e) || e.getKey() == null || e.getValue() == null
            || !keys.type().isInstance(e.getKey()) || !values.type().isInstance(e.getValue())) {
          return false;
        }
        byte[] k = encodeQuery(e.getKey());
        if (!inRange(k)) {
          return false;
        }
        byte[] v = tree.get(k);
        return v != null && Arrays.equals(v, values.encode(values.type().cast(e.getValue())));
      }

      @Override
      public boolean remove(Object o) {
        if (!contains(o)) {
          return false;
        }
        BTreeMap.this.remove(((Entry<?, ?>) o).getKey());
        return true;
      }

      @Override
      public void clear() {
        BTreeMap.this.clear();
      }
    };
  }

  /** An entry of an iteration; {@link #setValue} writes through to the map. */
  private final class LiveEntry extends SimpleEntry<K, V> {
    LiveEntry(K key, V value) {
      super(key, value);
    }

    @Override
    public V setValue(V value) {
      put(getKey(), value);
      return super.setValue(value);
    }
  }

  /**
   * Walks leaves in this view's order. Leaves are immutable, so the iterator steps through the
   * current leaf's arrays and seeks from the last key when the leaf ends or the tree changed.
   */
  private final class EntryIterator implements Iterator<Entry<K, V>> {
    private BTree.Position next;
    private long seenMod;
    private byte[] lastKey;
    private boolean canRemove;

    EntryIterator() {
      seenMod = tree.modCount();
      next = first();
    }

    @Override
    public boolean hasNext() {
      refresh();
      return next != null;
    }

    private void refresh() {
      long mod = tree.modCount();
      if (mod != seenMod && lastKey != null) {
        seenMod = mod;
        next = after(lastKey);
      } else if (mod != seenMod) {
        seenMod = mod;
        next = first();
      }
    }

    BTree.Position nextPosition() {
      refresh();
      if (next == null) {
        throw new NoSuchElementException();
      }
      BTree.Position p = next;
      lastKey = p.key();
      canRemove = true;
      int i = p.index() + (descending ? -1 : 1);
      if (i >= 0 && i < p.leaf().count()) {
        BTree.Position q = new BTree.Position(p.leaf(), i);
        next = descending ? checkLow(q) : checkHigh(q);
      } else {
        next = after(lastKey);
      }
      return p;
    }

    @Override
    public Entry<K, V> next() {
      BTree.Position p = nextPosition();
      return new LiveEntry(keys.decode(p.key()), values.decode(p.value()));
    }

    @Override
    public void remove() {
      if (!canRemove) {
        throw new IllegalStateException("next() has not been called, or remove() was called already");
      }
      canRemove = false;
      tree.remove(lastKey);
    }
  }

  /** The keys of a navigable map as a live {@link NavigableSet}. */
  private static final class KeySet<K> extends AbstractSet<K> implements NavigableSet<K> {
    private final NavigableMap<K, ?> map;

    KeySet(NavigableMap<K, ?> map) {
      this.map = map;
    }

    @Override
    public Iterator<K> iterator() {
      Iterator<? extends Entry<K, ?>> entries = map.entrySet().iterator();
      return new Iterator<>() {
        @Override
        public boolean hasNext() {
          return entries.hasNext();
        }

        @Override
        public K next() {
          return entries.next().getKey();
        }

        @Override
        public void remove() {
          entries.remove();
        }
      };
    }

    @Override
    public int size() {
      return map.size();
    }

    @Override
    public boolean isEmpty() {
      return map.isEmpty();
    }

    @Override
    public boolean contains(Object o) {
      return map.containsKey(o);
    }

    @Override
    public boolean remove(Object o) {
      if (!map.containsKey(o)) {
        return false;
      }
      map.remove(o);
      return true;
    }

    @Override
    public void clear() {
      map.clear();
    }

    @Override
    public Comparator<? super K> comparator() {
      return map.comparator();
    }

    @Override
    public K first() {
      return map.firstKey();
    }

    @Override
    public K last() {
      return map.lastKey();
    }

    @Override
    public K lower(K k) {
      return map.lowerKey(k);
    }

    @Override
    public K floor(K k) {
      return map.floorKey(k);
    }

    @Override
    public K ceiling(K k) {
      return map.ceilingKey(k);
    }

    @Override
    public K higher(K k) {
      return map.higherKey(k);
    }

    @Override
    public K pollFirst() {
      Entry<K, ?> e = map.pollFirstEntry();
      return e == null ? null : e.getKey();
    }

    @Override
    public K pollLast() {
      Entry<K, ?> e = map.pollLastEntry();
      return e == null ? null : e.getKey();
    }

    @Override
    public NavigableSet<K> descendingSet() {
      return new KeySet<>(map.descendingMap());
    }

    @Override
    public Iterator<K> descendingIterator() {
      return descendingSet().iterator();
    }

    @Override
    public NavigableSet<K> subSet(K from, boolean fromInclusive, K to, boolean toInclusive) {
      return new KeySet<>(map.subMap(from, fromInclusive, to, toInclusive));
    }

    @Override
    public NavigableSet<K> headSet(K to, boolean inclusive) {
      return new KeySet<>(map.headMap(to, inclusive));
    }

    @Override
    public NavigableSet<K> tailSet(K from, boolean inclusive) {
      return new KeySet<>(map.tailMap(from, inclusive));
    }

    @Override
    public NavigableSet<K> subSet(K from, K to) {
      return subSet(from, true, to, false);
    }

    @Override
    public NavigableSet<K> headSet(K to) {
      return headSet(to, false);
    }

    @Override
    public NavigableSet<K> tailSet(K from) {
      return tailSet(from, true);
    }
  }
}
