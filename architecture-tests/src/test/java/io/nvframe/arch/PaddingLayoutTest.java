package io.nvframe.arch;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The padded classes keep other objects off the cache lines of their fields, as laid out by this
 * JVM. Each pads with 64 bytes of {@code long} fields in a superclass (laid out before a subclass's
 * fields), and takes the 4 bytes after the 12-byte object header with an {@code int gap}: without
 * it the JVM places a subclass's {@code int} there, in front of the padding, on the line of
 * whatever object precedes this one (the lock word of {@code SpinLock} and of each frame-lock
 * stripe, a transaction scratch's hand-out flag were there). Checked with the field offsets the JVM
 * reports.
 *
 * <ul>
 *   <li>every field that is not padding is at least 64 bytes after the object's start, so no line
 *       holding it holds a byte of the object before;
 *   <li>classes padded on both sides also end with at least 64 bytes of padding after their last
 *       field;
 *   <li>a lane's page summary (read by every committing thread, written rarely) has 64 bytes
 *       between it and the lane's other non-final fields (written on every commit).
 * </ul>
 */
class PaddingLayoutTest {
  private static final Pattern PADDING = Pattern.compile("gap|[pqs]\\d+");
  private static final Method OFFSET;
  private static final Object UNSAFE;
  /** Bytes of a reference field (4 with compressed oops). */
  private static final int REFERENCE;

  static {
    try {
      Class<?> c = Class.forName("sun.misc.Unsafe");
      Field f = c.getDeclaredField("theUnsafe");
      f.setAccessible(true);
      UNSAFE = f.get(null);
      OFFSET = c.getMethod("objectFieldOffset", Field.class);
      REFERENCE = (int) c.getMethod("arrayIndexScale", Class.class).invoke(UNSAFE, Object[].class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** A field of the class or a superclass, with its offset in the object. */
  private record Slot(String name, long offset, int size, boolean padding, boolean written) {
    long end() {
      return offset + size;
    }
  }

  static Stream<Arguments> paddedClasses() {
    return Stream.of(
        Arguments.of("io.nvframe.spi.PersistCounters$Cell", true),
        Arguments.of("io.nvframe.buddy.SpinLock", true),
        Arguments.of("io.nvframe.buddy.FrameCache", false),
        Arguments.of("io.nvframe.core.TxScratch", true),
        Arguments.of("io.nvframe.core.TxScratch$Reservation", true),
        Arguments.of("io.nvframe.core.RedoTransaction", true),
        Arguments.of("io.nvframe.core.LongMap", true),
        Arguments.of("io.nvframe.core.FrameLocks$Stripe", true),
        Arguments.of("io.nvframe.redo.Lane$Padded", true),
        Arguments.of("io.nvframe.redo.WriteSet", true),
        Arguments.of("io.nvframe.redo.RangeMap", true),
        Arguments.of("io.nvframe.redo.Footprint", true),
        Arguments.of("io.nvframe.redo.FlushPlan", true),
        Arguments.of("io.nvframe.redo.PendingInvalidations$Seen", true),
        Arguments.of("io.nvframe.cli.BenchRegionWork$Update64", true),
        Arguments.of("io.nvframe.cli.BenchRegionWork$AllocLink", true));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("paddedClasses")
  void fieldsDoNotShareLinesWithNeighbouringObjects(String className, boolean bothSides) throws Exception {
    List<Slot> slots = slots(Class.forName(className));
    long lastField = 0;
    long end = 0;
    for (Slot s : slots) {
      end = Math.max(end, s.end());
      if (!s.padding()) {
        assertTrue(s.offset() >= 64, () -> className + "." + s.name() + " at offset " + s.offset()
            + " shares a line with the object before: " + slots);
        lastField = Math.max(lastField, s.end());
      }
    }
    if (bothSides) {
      long after = end - lastField;
      assertTrue(after >= 64, () -> className + " has " + after + " bytes of padding after its fields: " + slots);
    }
  }

  @Test
  void aLanesPageSummaryHasLinesOfItsOwn() throws Exception {
    List<Slot> slots = slots(Class.forName("io.nvframe.redo.Lane$Padded"));
    Pattern summary = Pattern.compile("summary|pageCount|page\\d");
    long from = Long.MAX_VALUE;
    long to = 0;
    for (Slot s : slots) {
      if (summary.matcher(s.name()).matches()) {
        from = Math.min(from, s.offset());
        to = Math.max(to, s.end());
      }
    }
    assertTrue(to > 0, "no summary fields found: " + slots);
    for (Slot s : slots) {
      if (s.written() && !s.padding() && !summary.matcher(s.name()).matches()) {
        long gap = s.offset() >= to ? s.offset() - to : from - s.end();
        assertTrue(gap >= 64, () -> "Lane." + s.name() + " is " + gap + " bytes from the page summary: " + slots);
      }
    }
  }

  private static List<Slot> slots(Class<?> c) throws ReflectiveOperationException {
    List<Slot> out = new ArrayList<>();
    for (Class<?> k = c; k != null; k = k.getSuperclass()) {
      for (Field f : k.getDeclaredFields()) {
        if (Modifier.isStatic(f.getModifiers())) {
          continue;
        }
        long offset = (long) OFFSET.invoke(UNSAFE, f);
        out.add(new Slot(f.getName(), offset, size(f.getType()), PADDING.matcher(f.getName()).matches(),
            !Modifier.isFinal(f.getModifiers())));
      }
    }
    out.sort((a, b) -> Long.compare(a.offset(), b.offset()));
    return out;
  }

  /** Bytes of a field of this type. */
  private static int size(Class<?> t) {
    if (!t.isPrimitive()) {
      return REFERENCE;
    }
    if (t == long.class || t == double.class) {
      return 8;
    }
    if (t == int.class || t == float.class) {
      return 4;
    }
    return t == short.class || t == char.class ? 2 : 1;
  }
}
