#!/usr/bin/env bash
# Installs the Debian packages the tests and CI use: the Mosquitto broker and
# clients (started for real by the suites), protoc with the well-known types
# such as google/protobuf/wrappers.proto (CI regenerates src/gen to check it is
# fresh; the types are only a recommendation of protobuf-compiler, which
# --no-install-recommends leaves out), docker-compose (validates the compose
# file), nats-server (the suites start their own clusters of it) and
# PostgreSQL (the state suites run against it at 127.0.0.1:5432).
# Does nothing for a package that is already there.
#
# PostgreSQL: a server that already accepts connections on 127.0.0.1:5432 is
# left exactly as it is. Otherwise the cluster is started, and when this script
# installed PostgreSQL itself (a fresh machine, as in CI) it lets the
# `postgres` user in from 127.0.0.1 without a password (trust), which is what
# the tests connect as. An existing installation's authentication is not touched.
set -euo pipefail

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

postgres_accepts() {
  # /dev/tcp needs no client package: the port is open or it is not.
  (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null
}

need=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v mosquitto_pub >/dev/null 2>&1 || need+=(mosquitto-clients)
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
command -v protoc >/dev/null 2>&1 || need+=(protobuf-compiler)
[ -f /usr/include/google/protobuf/wrappers.proto ] || need+=(libprotobuf-dev)
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || need+=(nats-server)
fresh_postgres=false
if ! postgres_accepts && ! command -v pg_ctlcluster >/dev/null 2>&1; then
  need+=(postgresql)
  fresh_postgres=true
fi

if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

! $fresh_postgres && postgres_accepts && exit 0

# Debian's package creates one cluster; without systemd (a container) it is not started.
read -r version cluster < <(pg_lsclusters --no-header | awk 'NR == 1 { print $1, $2 }')
if [ -z "${version:-}" ]; then
  echo "PostgreSQL is installed but has no cluster: create one with pg_createcluster" >&2
  exit 1
fi
if $fresh_postgres; then
  hba="/etc/postgresql/$version/$cluster/pg_hba.conf"
  echo "letting user postgres in from 127.0.0.1 without a password (fresh install: $hba)"
  { echo 'host all postgres 127.0.0.1/32 trust'; cat "$hba"; } | $sudo tee "$hba.new" >/dev/null
  $sudo mv "$hba.new" "$hba"
  $sudo chown postgres:postgres "$hba"
fi
if postgres_accepts; then
  $sudo pg_ctlcluster "$version" "$cluster" reload
  exit 0
fi
echo "starting PostgreSQL $version/$cluster"
$sudo pg_ctlcluster "$version" "$cluster" start
for _ in $(seq 1 50); do
  postgres_accepts && exit 0
  sleep 0.2
done
echo "PostgreSQL $version/$cluster does not accept connections on 127.0.0.1:5432" >&2
exit 1
