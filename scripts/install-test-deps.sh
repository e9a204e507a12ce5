#!/usr/bin/env bash
# Installs the Debian packages the tests and CI use: the Mosquitto broker and
# clients (started for real by the suites), protoc with the well-known types
# such as google/protobuf/wrappers.proto (CI regenerates src/gen to check it is
# fresh; the types are only a recommendation of protobuf-compiler, which
# --no-install-recommends leaves out) and docker-compose (validates the compose file).
# Does nothing for a package that is already there.
set -euo pipefail

need=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v mosquitto_pub >/dev/null 2>&1 || need+=(mosquitto-clients)
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
command -v protoc >/dev/null 2>&1 || need+=(protobuf-compiler)
[ -f /usr/include/google/protobuf/wrappers.proto ] || need+=(libprotobuf-dev)
[ ${#need[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
