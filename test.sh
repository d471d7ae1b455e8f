#!/usr/bin/env bash
# Restores, builds (warnings are errors) and runs every test project, then prints the totals.
#   ./test.sh              run all tests
#   ./test.sh --coverage   also collect line coverage (Cobertura files under artifacts/test-results)
# Also runs the consumer check (tests/consumer/run), which builds an app from the packed packages.
set -euo pipefail
cd "$(dirname "$0")"

coverage=()
if [[ "${1:-}" == "--coverage" ]]; then
  coverage=(--collect "XPlat Code Coverage")
fi

# The Redis tests start their own redis-server on loopback; install it when it is missing (they fail, clearly, without it).
command -v redis-server >/dev/null 2>&1 || { apt-get update && apt-get install -y redis-server; } \
  || echo "warning: could not install redis-server; the Redis tests will fail" >&2

results="artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

dotnet restore Limps.Sessions.sln
dotnet build Limps.Sessions.sln --no-restore --configuration Release -warnaserror

status=0
for project in tests/*/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  dotnet test "$project" --no-build --configuration Release \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
    --results-directory "$results/$name" "${coverage[@]}" || status=1
done

# The packages as a user gets them: pack every library, then build and run an app outside the solution that takes the
# Limps packages from that folder alone. Counted as one test.
passed=0; failed=0; skipped=0
if tests/consumer/run > "$results/consumer.log" 2>&1; then
  echo "Consumer check passed: $(tail -n 1 "$results/consumer.log")"
  passed=1
else
  echo "Consumer check FAILED (log: $results/consumer.log):"
  tail -n 30 "$results/consumer.log"
  failed=1
  consumer_failed=1
  status=1
fi

for trx in "$results"/*/*.trx; do
  [[ -f "$trx" ]] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  get() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
  total=$(get total); executed=$(get executed); p=$(get passed); f=$(get failed)
  err=$(get error); to=$(get timeout); ab=$(get aborted)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + ${err:-0} + ${to:-0} + ${ab:-0}))
  skipped=$((skipped + ${total:-0} - ${executed:-0}))
done

# Name every test that did not pass, with the first line of its message, just above the totals: a log cut to its last
# lines still says what failed.
if (( failed > 0 )); then
  echo "Did not pass:"
  for trx in "$results"/*/*.trx; do
    [[ -f "$trx" ]] || continue
    awk -v project="$(basename "$trx" .trx)" '
      function unescape(s) {
        gsub(/&quot;/, "\"", s); gsub(/&apos;/, "\047", s); gsub(/&lt;/, "<", s); gsub(/&gt;/, ">", s); gsub(/&amp;/, "\\&", s)
        return s
      }
      /<UnitTestResult / {
        failing = ($0 ~ /outcome="(Failed|Error|Timeout|Aborted)"/); told = 0
        if (failing) { name = $0; sub(/.*testName="/, "", name); sub(/".*/, "", name); print "  " project ": " unescape(name) }
      }
      failing && !told && /<Message>/ {
        message = $0; sub(/.*<Message>/, "", message); sub(/<\/Message>.*/, "", message)
        print "      " unescape(message); told = 1
      }
      /<\/UnitTestResult>/ { failing = 0 }
    ' "$trx"
  done
  if (( ${consumer_failed:-0} )); then echo "  consumer check (log: $results/consumer.log)"; fi
fi

if (( passed + failed == 0 )); then
  echo "No test ran." >&2
  status=1
fi
if (( failed > 0 )); then status=1; fi

if (( skipped > 0 )); then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
exit "$status"
