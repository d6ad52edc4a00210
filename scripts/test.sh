#!/usr/bin/env bash
# Runs the whole test suite (unit, end-to-end) and prints the totals. Installs the system packages
# the tests need (PoCL, Fashion-MNIST, scikit-learn's CSVs, PostgreSQL for the cluster journal) when they are missing,
# starts PostgreSQL on loopback, and says so.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=deps.sh
source "$ROOT/scripts/deps.sh"
mtflow_ensure_packages || exit 1
mtflow_ensure_sklearn_data
# shellcheck source=postgres.sh
source "$ROOT/scripts/postgres.sh"
mtflow_ensure_postgres || exit 1
cd "$ROOT"
# Stale reports from an earlier run would inflate the totals.
rm -rf ./*/target/surefire-reports ./*/target/failsafe-reports
mvn -B -Dstyle.color=never verify "$@"
status=$?
echo
# Totals from the JUnit XML reports, one <testcase> per test (nested test classes share a file).
cat ./*/target/surefire-reports/TEST-*.xml ./*/target/failsafe-reports/TEST-*.xml 2>/dev/null \
  | grep -o '<testcase \|<failure\|<error\|<skipped' \
  | awk '{ n[$1]++ } END { printf "mtflow tests: %d run, %d failed, %d errors, %d skipped\n",
           n["<testcase"], n["<failure"], n["<error"], n["<skipped"] }'
if [ $status -ne 0 ]; then echo "mtflow tests: FAILED (maven exit $status)"; else echo "mtflow tests: passed"; fi
exit $status
