package io.nvframe.core.archfixture;

import io.nvframe.backend.heap.HeapBackendProvider;
import io.nvframe.buddy.FrameWord;

/** Breaks several rules on purpose; used only by {@code ArchitectureSelfTest}. */
public class BadCore {
  public static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BadCore.class);

  public Object backend() {
    System.out.println("libraries must not print");
    return new HeapBackendProvider();
  }

  public void fail() {
    throw new RuntimeException("generic");
  }

  public long freeWord() {
    return FrameWord.free(1);
  }

  public ClassLoader loader() {
    return Thread.currentThread().getContextClassLoader();
  }
}
