# jetbridge image: the bridge and the JET emulator (one program, two commands).
#
#   docker build -t jetbridge .
#   docker run --rm jetbridge --help
#   docker run --rm -v "$PWD/my.config.json:/etc/jetbridge/bridge.config.json:ro" \
#     -p 9464:9464 jetbridge run --config /etc/jetbridge/bridge.config.json
#
# docker-compose.yml runs it with Mosquitto and an emulator.

# ---- build: compile TypeScript, then keep only the production dependencies ----
FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles its native module when no prebuilt binary fits the platform.
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# Dependencies first, for the layer cache. Install scripts wait: `prepare` needs the
# sources, which are built below; better-sqlite3 is rebuilt explicitly.
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
    && npm prune --omit=dev \
    && npm cache clean --force

# ---- runtime: node, the compiled program and its production dependencies ----
FROM node:20-bookworm-slim
# The state database (the routes the bridge has programmed) goes to a folder the
# non-root user owns and a volume can hold, whatever path the config file names.
ENV NODE_ENV=production \
    JETBRIDGE_STATE_PATH=/var/lib/jetbridge/state.db
WORKDIR /app
# Owned by root and read-only to the program; only the state folder is writable.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json bridge.config.json ./
RUN mkdir -p /var/lib/jetbridge && chown node:node /var/lib/jetbridge
USER node

# 9464 bridge HTTP (/metrics, /healthz, /readyz); 32767 emulator JET gRPC; 8181 emulator admin API.
EXPOSE 9464 32767 8181
# node itself does the probe, so the image needs no curl. The emulator has no
# /healthz on 9464: point JETBRIDGE_HEALTHCHECK_URL at its admin port instead.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["node", "-e", "fetch(process.env.JETBRIDGE_HEALTHCHECK_URL || 'http://127.0.0.1:9464/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["--help"]
