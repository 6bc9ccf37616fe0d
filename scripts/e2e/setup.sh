#!/usr/bin/env bash
# Installs what the end-to-end tests need, offline but for the npm registry and Debian's packages:
# Debian's Chromium, ripgrep and Kerberos headers (apt), and code-server (a full VS Code) from the
# npm registry, built by hand because its install script refuses root and downloads ripgrep.
# See ../../../shared/TESTING.md for why each step is there.
#
#   bash scripts/e2e/setup.sh           install what is missing (a second run takes about a second)
#   bash scripts/e2e/setup.sh --check   install nothing; exit 1 with what to run if anything is missing
#   bash scripts/e2e/setup.sh --force   rebuild code-server even if the cache says it is ready
#
# The built tree lives in .cache/e2e/code-server (gitignored), with a marker naming the version,
# the Node ABI and the platform. A copy packed as a .tgz is kept in $TALLY_E2E_SHARED_CACHE
# (default ~/.cache/tally-e2e; set it empty to skip) so a fresh clone on the same machine
# unpacks it in seconds instead of rebuilding the native modules.
set -euo pipefail

CODE_SERVER_VERSION=4.100.3 # carries VS Code 1.100.3, whose extension host runs Node 20
APT_PACKAGES=(libkrb5-dev ripgrep chromium)

cd "$(dirname "$0")/../.."
repo=$PWD
cache="$repo/.cache/e2e"
dest="$cache/code-server"
log="$cache/setup.log"
abi=$(node -p 'process.versions.modules')
platform=$(node -p 'process.platform + "-" + process.arch')
stamp="code-server $CODE_SERVER_VERSION node-abi $abi $platform"
marker="$dest/.tally-e2e-ready"
shared="${TALLY_E2E_SHARED_CACHE-$HOME/.cache/tally-e2e}"
tarball="${shared:+$shared/code-server-$CODE_SERVER_VERSION-abi$abi-$platform.tgz}"

mode=install
case "${1:-}" in
  --check) mode=check ;;
  --force) mode=force ;;
  '') ;;
  *) echo "usage: $0 [--check|--force]" >&2; exit 2 ;;
esac

say() { printf 'e2e setup: %s\n' "$*"; }
die() { printf '\ne2e setup: FAILED: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# step NAME HINT -- CMD...: runs CMD with its output in the log, prints how long it took, and on
# failure prints the end of the log and a hint instead of a wall of npm output.
step() {
  local name=$1 hint=$2 t0 rc=0
  shift 3
  t0=$(now)
  printf '\n### %s: %s\n' "$name" "$*" >>"$log"
  "$@" >>"$log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    printf '\ne2e setup: step "%s" failed (exit %s) after %s s. Last lines of %s:\n' \
      "$name" "$rc" "$(secs "$t0")" "${log#"$repo"/}" >&2
    tail -n 25 "$log" | sed 's/^/  | /' >&2
    die "$hint"
  fi
  say "$name: $(secs "$t0") s"
}

missing_apt() {
  local p out=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || out+=("$p")
  done
  echo "${out[*]}"
}

ready() { [ -f "$marker" ] && [ "$(cat "$marker")" = "$stamp" ]; }

t_all=$(now)
mkdir -p "$cache"
: >"$log"

# 1. System packages from Debian: the browser, ripgrep (stands in for the download that
# @vscode/ripgrep would do) and the Kerberos headers a native module builds against.
need=$(missing_apt)
if [ -n "$need" ]; then
  if [ "$mode" = check ]; then
    die "missing Debian packages: $need. Run: bash scripts/e2e/setup.sh (as root), or: sudo apt-get install -y $need"
  fi
  [ "$(id -u)" -eq 0 ] || die "missing Debian packages: $need. Run: sudo apt-get update && sudo apt-get install -y $need"
  step apt-get "apt-get could not install: $need (is the Debian mirror reachable?)" -- \
    sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need"
else
  say "Debian packages present: ${APT_PACKAGES[*]}"
fi
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium is missing although the chromium package is installed"
[ -x /usr/bin/rg ] || die "/usr/bin/rg is missing although the ripgrep package is installed"

# 2. code-server, cached.
if [ "$mode" != force ] && ready; then
  say "code-server $CODE_SERVER_VERSION ready in ${dest#"$repo"/} (cached)"
  say "done in $(secs "$t_all") s"
  exit 0
fi
if [ "$mode" = check ]; then
  die "code-server $CODE_SERVER_VERSION is not set up in ${dest#"$repo"/}. Run: bash scripts/e2e/setup.sh"
fi

build="$cache/code-server.partial"
rm -rf "$build"
mkdir -p "$build"

verify() { # DIR: the server starts far enough to print its version, and the native modules load
  local cs=$1/node_modules/code-server
  node "$cs/out/node/entry.js" --version | grep -q "^$CODE_SERVER_VERSION " &&
    (cd "$cs/lib/vscode" && node -e '
      for (const m of ["node-pty", "@vscode/spdlog", "native-watchdog", "kerberos"]) require(m);') &&
    (cd "$cs" && node -e 'require("argon2")')
}

if [ "$mode" != force ] && [ -n "$tarball" ] && [ -f "$tarball" ]; then
  step unpack "the cached $tarball is unusable: delete it and run again" -- \
    tar -xzf "$tarball" -C "$build"
  if verify "$build" >>"$log" 2>&1; then
    rm -rf "$dest" && mv "$build" "$dest" && echo "$stamp" >"$marker"
    say "code-server $CODE_SERVER_VERSION ready from $tarball"
    say "done in $(secs "$t_all") s"
    exit 0
  fi
  say "the cached tarball did not verify; rebuilding"
  rm -rf "$build" && mkdir -p "$build"
fi

cs="$build/node_modules/code-server"
vs="$cs/lib/vscode"
export npm_config_yes=true npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

cat >"$build/package.json" <<EOF
{ "name": "tally-e2e-code-server", "private": true, "dependencies": { "code-server": "$CODE_SERVER_VERSION" } }
EOF
step "npm install code-server@$CODE_SERVER_VERSION" "could not install code-server from the npm registry" -- \
  npm install --prefix "$build" --ignore-scripts --no-package-lock
step "install VS Code's runtime modules" "npm install in code-server's lib/vscode failed" -- \
  npm install --prefix "$vs" --omit=dev --ignore-scripts
mkdir -p "$vs/node_modules/@vscode/ripgrep/bin"
ln -sf /usr/bin/rg "$vs/node_modules/@vscode/ripgrep/bin/rg"
step "rebuild VS Code's native modules" \
  "native build failed: it needs python3, make, g++ and libkrb5-dev (see the log for the module)" -- \
  sh -c "cd '$vs' && npm rebuild"
ln -sfn node_modules "$vs/node_modules.asar"
ln -sf code-linux.sh "$vs/bin/remote-cli/code-server"
ln -sf browser-linux.sh "$vs/bin/helpers/browser.sh"
step "install the built-in extensions' modules" "npm install in code-server's lib/vscode/extensions failed" -- \
  npm install --prefix "$vs/extensions" --omit=dev --ignore-scripts
step "rebuild argon2" "the argon2 native build failed" -- \
  sh -c "cd '$build' && npm rebuild argon2"
step verify "the built code-server does not start or a native module does not load" -- verify "$build"

rm -rf "$dest"
mv "$build" "$dest"
echo "$stamp" >"$marker"
say "code-server $CODE_SERVER_VERSION ready in ${dest#"$repo"/} ($(du -sm "$dest" | cut -f1) MB)"

if [ -n "$tarball" ]; then
  mkdir -p "$shared"
  step "pack for other clones" "could not write $tarball (set TALLY_E2E_SHARED_CACHE= to skip)" -- \
    sh -c "tar -czf '$tarball.tmp' -C '$dest' --exclude=.tally-e2e-ready . && mv '$tarball.tmp' '$tarball'"
fi
say "done in $(secs "$t_all") s"
