package io.nvframe.backend.dax;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parsing /proc/self/mountinfo to predict MAP_SYNC support. */
class MountTableTest {
  @Test
  void parsesFieldsOptionalTagsAndSuperOptions() {
    MountTable.Mount m = MountTable.parse(
        "40 22 259:0 / /mnt/pmem0 rw,relatime shared:2 master:1 - xfs /dev/pmem0 rw,attr2,dax=always,inode64");
    assertEquals(Path.of("/mnt/pmem0"), m.mountPoint());
    assertEquals("xfs", m.fsType());
    assertEquals("/dev/pmem0", m.source());
    assertTrue(m.daxAlways());
    MountTable.Mount ext4 = MountTable.parse("41 22 259:1 / /mnt/p1 rw,relatime - ext4 /dev/pmem1 rw,dax");
    assertTrue(ext4.daxAlways(), "ext4 shows plain 'dax'");
    MountTable.Mount inode = MountTable.parse("42 22 259:2 / /mnt/p2 rw - ext4 /dev/pmem2 rw,dax=inode");
    assertFalse(inode.daxAlways());
    assertTrue(inode.daxPerInode());
    assertNull(MountTable.parse("garbage"));
  }

  @Test
  void unescapesOctalEscapes() {
    MountTable.Mount m = MountTable.parse("43 22 0:50 / /mnt/my\\040disk rw - tmpfs tmpfs rw");
    assertEquals(Path.of("/mnt/my disk"), m.mountPoint());
  }

  @Test
  void findsTheLongestAndLatestMountPrefix(@TempDir Path tmp) throws IOException {
    Path info = tmp.resolve("mountinfo");
    Files.writeString(info, String.join("\n",
        "1 0 8:1 / / rw - ext4 /dev/sda1 rw",
        "2 1 0:5 / /mnt rw - tmpfs tmpfs rw",
        "3 2 259:0 / /mnt/pmem rw - ext4 /dev/pmem0 rw",
        "4 2 259:0 / /mnt/pmem rw - ext4 /dev/pmem0 rw,dax",
        "5 1 0:6 / /mnt/pmemx rw - tmpfs tmpfs rw",
        "6 3 0:7 / /mnt/pmem/a rw no-separator-field",
        "7 1 0:8 / /mnt/my\\040disk rw - xfs /dev/sdb1 rw",
        ""));
    assertEquals("ext4", MountTable.find(Path.of("/home/u/r.nvf"), info).orElseThrow().fsType());
    assertEquals("tmpfs", MountTable.find(Path.of("/mnt/r.nvf"), info).orElseThrow().fsType());
    MountTable.Mount pmem = MountTable.find(Path.of("/mnt/pmem/a/r.nvf"), info).orElseThrow();
    assertTrue(pmem.daxAlways(), "the later over-mount wins");
    assertEquals(Path.of("/mnt/pmem"), pmem.mountPoint(), "a malformed line is skipped, even when it covers the path");
    assertEquals("tmpfs", MountTable.find(Path.of("/mnt/pmemx/r"), info).orElseThrow().fsType(),
        "prefixes are path elements, not strings");
    assertEquals("xfs", MountTable.find(Path.of("/mnt/my disk/r.nvf"), info).orElseThrow().fsType(),
        "escaped mount points are compared unescaped");
    assertEquals("tmpfs", MountTable.find(Path.of("/mnt"), info).orElseThrow().fsType(), "a mount point itself");
    assertTrue(MountTable.find(Path.of("/x"), tmp.resolve("missing")).isEmpty(), "unreadable table");
  }

  @Test
  void theRealTableHasARootMount() {
    assumeTrue(Files.isReadable(MountTable.MOUNTINFO), () -> MountTable.MOUNTINFO + " is not readable here");
    MountTable.Mount root = MountTable.find(Path.of("/"), MountTable.MOUNTINFO).orElseThrow();
    assertEquals(Path.of("/"), root.mountPoint());
  }
}
