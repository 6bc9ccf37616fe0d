#!/usr/bin/env bash
# npm run test:e2e [-- mocha args, e.g. --grep storage]: packages the extension as a .vsix and runs
# the end-to-end specs (test/e2e) in code-server with headless Chromium. Downloads nothing: it
# stops with what to run when scripts/e2e/setup.sh has not been run on this machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=node_modules/.bin
out=.artifacts/e2e
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

t=$(now)
bash scripts/e2e/setup.sh --check >/dev/null
node scripts/build.mjs
mkdir -p "$out"
if ! log=$("$bin/vsce" package --no-dependencies --skip-license --allow-missing-repository --out "$out/tally.vsix" 2>&1); then
  printf '%s\n' "$log" >&2
  echo "e2e: vsce could not package the extension" >&2
  exit 1
fi
echo "e2e: built and packaged $out/tally.vsix in $(secs "$t") s"

t=$(now)
rc=0
"$bin/mocha" --config test/e2e/.mocharc.json "$@" || rc=$?
echo "e2e: specs ran in $(secs "$t") s; screenshots and server logs in $out/"
exit "$rc"
