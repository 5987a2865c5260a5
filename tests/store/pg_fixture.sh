#!/bin/bash
# The PostgreSQL server shared by every test of a ctest run that needs one
# (vtpm_add_test(... POSTGRES)).
#   pg_fixture.sh start STATE_DIR   initdb + start; writes STATE_DIR/url
#   pg_fixture.sh stop STATE_DIR    stops the server and removes the cluster
# The cluster lives in STATE_DIR/data when the server's OS user can reach
# it, else in a directory under /tmp (named in STATE_DIR/base). As root the
# server runs as the "postgres" OS user. $VTPM_PG_BINDIR overrides where
# initdb and pg_ctl are found.
set -euo pipefail

cmd=${1:-}
state=${2:-}
if [[ -z "$cmd" || -z "$state" ]]; then
  echo "usage: $0 start|stop STATE_DIR" >&2
  exit 2
fi

bindir=${VTPM_PG_BINDIR:-}
if [[ -z "$bindir" ]]; then
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
if [[ -z "$bindir" || ! -x "$bindir/pg_ctl" ]]; then
  echo "FATAL: no PostgreSQL server binaries (initdb, pg_ctl) found under" \
    "/usr/lib/postgresql/*/bin; install the postgresql package or set" \
    "VTPM_PG_BINDIR" >&2
  exit 1
fi

as_pg() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

stop() {
  [[ -f "$state/base" ]] || return 0
  local base
  base=$(cat "$state/base")
  if [[ -f "$base/data/postmaster.pid" ]]; then
    # The cluster is thrown away: no shutdown checkpoint needed.
    as_pg "$bindir/pg_ctl" -D "$base/data" stop -m immediate -w -t 30 >/dev/null 2>&1 ||
      as_pg "$bindir/pg_ctl" -D "$base/data" stop -m immediate -w >/dev/null 2>&1 ||
      true
  fi
  rm -rf "$base" "$state/url" "$state/base"
}

start() {
  stop_all # a cluster left behind by an interrupted run
  mkdir -p "$state"
  local base="$state/cluster"
  if [[ $(id -u) -eq 0 ]]; then
    if ! id postgres >/dev/null 2>&1; then
      echo "FATAL: running as root needs a 'postgres' OS user" >&2
      exit 1
    fi
    rm -rf "$base"
    mkdir -p "$base"
    chown postgres: "$base"
    # The server's user must be able to reach its directory.
    if ! runuser -u postgres -- test -w "$base"; then
      rm -rf "$base"
      base=$(mktemp -d /tmp/vtpm-pg-shared.XXXXXX)
      chown postgres: "$base"
    fi
  else
    rm -rf "$base"
    mkdir -p "$base"
  fi
  echo "$base" >"$state/base"
  # Unix socket paths are short: the socket goes to its own /tmp dir.
  local sock
  sock=$(mktemp -d /tmp/vtpm-pgsock.XXXXXX)
  [[ $(id -u) -eq 0 ]] && chown postgres: "$sock"
  ln -sfn "$sock" "$base/sock" 2>/dev/null || true
  echo "$sock" >"$base/sockdir"

  if ! as_pg "$bindir/initdb" -D "$base/data" --auth=trust -U postgres \
    -E UTF8 --locale=C --no-sync >"$base/initdb.log" 2>&1; then
    echo "FATAL: initdb failed:" >&2
    cat "$base/initdb.log" >&2
    exit 1
  fi
  local port tries
  for tries in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 30000))
    if as_pg "$bindir/pg_ctl" -D "$base/data" -l "$base/log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $sock -c max_connections=300" \
      start >/dev/null 2>&1; then
      echo "postgresql://postgres@127.0.0.1:$port/postgres" >"$state/url"
      echo "PostgreSQL test server running: $(cat "$state/url") (data $base/data)"
      return 0
    fi
    # Most likely the port was taken: try another one.
  done
  echo "FATAL: PostgreSQL would not start; server log:" >&2
  cat "$base/log" >&2 || true
  exit 1
}

stop_all() {
  local sock=""
  if [[ -f "$state/base" && -f "$(cat "$state/base")/sockdir" ]]; then
    sock=$(cat "$(cat "$state/base")/sockdir")
  fi
  stop
  [[ -n "$sock" ]] && rm -rf "$sock"
  return 0
}

case "$cmd" in
  start) start ;;
  stop) stop_all ;;
  *)
    echo "usage: $0 start|stop STATE_DIR" >&2
    exit 2
    ;;
esac
