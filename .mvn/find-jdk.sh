# Sourced by ./mvnw and ./nvframe: sets JAVA_HOME to a JDK whose feature version is >= 25.
# Order: $NVFRAME_JAVA_HOME, $JAVA_HOME, `java` on PATH, then the usual install folders.
nvframe_java_feature() {
  # prints the feature version of the JDK at $1 (empty if none)
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = \([0-9][0-9]*\).*/\1/p' | head -n 1
}
nvframe_find_jdk() {
  local required=25 candidate version
  local candidates=()
  [ -n "${NVFRAME_JAVA_HOME:-}" ] && candidates+=("$NVFRAME_JAVA_HOME")
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for candidate in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/* \
                   "$HOME"/.jdks/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -d "$candidate" ] && candidates+=("$candidate")
  done
  for candidate in "${candidates[@]}"; do
    version=$(nvframe_java_feature "$candidate")
    if [ -n "$version" ] && [ "$version" -ge "$required" ]; then
      export JAVA_HOME="$candidate"
      return 0
    fi
  done
  echo "nvframe needs a JDK $required or newer, and none was found (looked at \$NVFRAME_JAVA_HOME, \$JAVA_HOME, java on PATH, /usr/lib/jvm/*, /opt, ~/.sdkman). Install one, e.g. 'apt-get install temurin-25-jdk' or from https://adoptium.net, or set NVFRAME_JAVA_HOME to its folder." >&2
  return 1
}
