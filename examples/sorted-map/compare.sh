#!/usr/bin/env bash
# Builds this example and runs the YCSB-style comparison of the nvframe B+-tree map with H2 MVStore
# and Chronicle Map (README.md, "Comparison"). Arguments go to the harness, e.g.
#   examples/sorted-map/compare.sh --keys 1000000 --dir /dev/shm --seconds 5
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../../.mvn/find-jdk.sh
. "$root/.mvn/find-jdk.sh"
nvframe_find_jdk || exit 1
"$root/mvnw" -q -B -ntp -f "$root/pom.xml" -pl examples/sorted-map -am package -DskipTests -Pcompare
module="$root/examples/sorted-map"
# emulate mode: the JDK's cache-line write-back (backend-dax/README.md);
# Chronicle Map: its documented JDK 17+ flags, set for this run only
exec "$JAVA_HOME/bin/java" -Xmx2g \
  --enable-native-access=ALL-UNNAMED -Dchronicle.analytics.disable=true \
  --add-exports java.base/jdk.internal.misc=ALL-UNNAMED \
  --add-exports java.base/jdk.internal.ref=ALL-UNNAMED \
  --add-exports java.base/sun.nio.ch=ALL-UNNAMED \
  --add-exports jdk.unsupported/sun.misc=ALL-UNNAMED \
  --add-exports jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED \
  --add-opens jdk.compiler/com.sun.tools.javac=ALL-UNNAMED \
  --add-opens java.base/java.lang=ALL-UNNAMED \
  --add-opens java.base/java.lang.reflect=ALL-UNNAMED \
  --add-opens java.base/java.io=ALL-UNNAMED \
  --add-opens java.base/java.util=ALL-UNNAMED \
  -cp "$module/target/classes:$(cat "$module/target/compare.classpath")" \
  io.nvframe.examples.sortedmap.compare.Compare "$@"
