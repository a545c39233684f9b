package io.nvframe.examples.sortedmap;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;

/** The provided codecs: UTF-8 strings and byte arrays. */
public final class Codecs {
  private Codecs() {}

  /**
   * Strings as UTF-8. Unsigned byte order of UTF-8 is Unicode code point order, which differs from
   * {@link String#compareTo} (UTF-16 code unit order) only between supplementary characters and
   * characters U+E000..U+FFFF; {@link Codec#comparator()} is the code point order, and the map
   * reports it from {@code comparator()}.
   */
  public static final Codec<String> STRING = new StringCodec();

  /**
   * Byte arrays, copied on the way in and out, ordered unsigned-lexicographically ({@link
   * Arrays#compareUnsigned(byte[], byte[])}).
   */
  public static final Codec<byte[]> BYTES = new BytesCodec();

  /** Unicode code point order. */
  static int compareCodePoints(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }

  private static final class StringCodec implements Codec<String> {
    private static final Comparator<String> ORDER = Codecs::compareCodePoints;

    @Override
    public String name() {
      return "utf8";
    }

    @Override
    public Class<String> type() {
      return String.class;
    }

    @Override
    public byte[] encode(String value) {
      for (int i = 0; i < value.length(); i++) {
        char c = value.charAt(i);
        if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
          i++;
        } else if (Character.isSurrogate(c)) {
          throw new IllegalArgumentException("string with an unpaired surrogate at index " + i
              + " has no UTF-8 form; the STRING codec stores only well-formed UTF-16");
        }
      }
      return value.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String decode(byte[] bytes) {
      return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public Comparator<String> comparator() {
      return ORDER;
    }

    @Override
    public String toString() {
      return "Codecs.STRING";
    }
  }

  private static final class BytesCodec implements Codec<byte[]> {
    private static final Comparator<byte[]> ORDER = Arrays::compareUnsigned;

    @Override
    public String name() {
      return "bytes";
    }

    @Override
    public Class<byte[]> type() {
      return byte[].class;
    }

    @Override
    public byte[] encode(byte[] value) {
      return value.clone();
    }

    @Override
    public byte[] decode(byte[] bytes) {
      return bytes.clone();
    }

    @Override
    public Comparator<byte[]> comparator() {
      return ORDER;
    }

    @Override
    public String toString() {
      return "Codecs.BYTES";
    }
  }
}
