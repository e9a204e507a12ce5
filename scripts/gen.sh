#!/usr/bin/env bash
# Generates src/gen/ from proto/ with protoc (Debian: protobuf-compiler) and the
# ts-proto plugin: grpc-js services, uint64 as bigint (path cookies use all 64 bits).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v protoc >/dev/null || { echo "protoc not found: apt-get install protobuf-compiler" >&2; exit 1; }
[ -f /usr/include/google/protobuf/wrappers.proto ] || { echo "protobuf's well-known types not found: apt-get install libprotobuf-dev" >&2; exit 1; }
rm -rf src/gen
mkdir -p src/gen
protoc \
  --plugin=protoc-gen-ts_proto=node_modules/.bin/protoc-gen-ts_proto \
  --ts_proto_out=src/gen \
  --ts_proto_opt=outputServices=grpc-js,forceLong=bigint,esModuleInterop=true,env=node,importSuffix=.js,outputJsonMethods=false,useDate=false \
  -I proto/legacy -I proto/jnx \
  proto/legacy/*.proto proto/jnx/*.proto
