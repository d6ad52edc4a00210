#!/usr/bin/env bash
# Sourced by scripts/test.sh (or run): makes sure a PostgreSQL server listens on loopback with the
# role and database the cluster-journal tests use, installing Debian's postgresql when it is missing
# and saying so. Tests read MTFLOW_TEST_POSTGRES_URL / _USER / _PASSWORD (defaults below).
: "${MTFLOW_TEST_POSTGRES_URL:=jdbc:postgresql://127.0.0.1:5432/mtflow_test}"
: "${MTFLOW_TEST_POSTGRES_USER:=mtflow}"
: "${MTFLOW_TEST_POSTGRES_PASSWORD:=mtflow}"
export MTFLOW_TEST_POSTGRES_URL MTFLOW_TEST_POSTGRES_USER MTFLOW_TEST_POSTGRES_PASSWORD

mtflow_ensure_postgres() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    command -v pg_lsclusters >/dev/null 2>&1 || echo "mtflow: PostgreSQL is missing; the cluster-journal tests need" \
      "a server on 127.0.0.1:5432 with role $MTFLOW_TEST_POSTGRES_USER and database mtflow_test" >&2
    return 0
  fi
  if ! command -v pg_lsclusters >/dev/null 2>&1; then
    echo "mtflow: installing PostgreSQL (for the cluster-journal tests)" >&2
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql >/dev/null 2>&1; then
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql >/dev/null \
        || { echo "mtflow: apt-get install postgresql failed" >&2; return 1; }
    fi
  fi
  local version
  version=$(pg_lsclusters -h | awk 'NR==1 {print $1}')
  if [ -z "$version" ]; then
    version=$(ls /usr/lib/postgresql | sort -n | tail -1)
    pg_createcluster "$version" main >/dev/null || { echo "mtflow: pg_createcluster failed" >&2; return 1; }
  fi
  if ! pg_lsclusters -h | awk '$2=="main" {print $4}' | grep -q online; then
    echo "mtflow: starting PostgreSQL $version on 127.0.0.1:5432" >&2
    pg_ctlcluster "$version" main start -o "-c listen_addresses=127.0.0.1" \
      || { echo "mtflow: PostgreSQL did not start" >&2; return 1; }
  fi
  # Idempotent: the role and the database are created once.
  su postgres -c "psql -qtA -c \"SELECT 1 FROM pg_roles WHERE rolname='$MTFLOW_TEST_POSTGRES_USER'\"" | grep -q 1 \
    || su postgres -c "psql -q -c \"CREATE ROLE $MTFLOW_TEST_POSTGRES_USER LOGIN PASSWORD '$MTFLOW_TEST_POSTGRES_PASSWORD'\"" >/dev/null
  su postgres -c "psql -qtA -c \"SELECT 1 FROM pg_database WHERE datname='mtflow_test'\"" | grep -q 1 \
    || su postgres -c "psql -q -c \"CREATE DATABASE mtflow_test OWNER $MTFLOW_TEST_POSTGRES_USER\"" >/dev/null
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then mtflow_ensure_postgres; fi
