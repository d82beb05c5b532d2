# syntax=docker/dockerfile:1
# check=error=true
#
# ParkPay's production image: the server as plain JavaScript run by node (never tsx), the H5 app served at
# /, the server's production packages only, no sandbox code, running as the unprivileged `node` user.
#   docker build -t parkpay:<version> .
# Configuration is production mode's (docs/configuration.md); deploy/compose.yaml runs it for real.

ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# ── build: every package, then the server build (dist/) and the H5 build (miniapp/dist/h5) ─────────────
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY . .
RUN npm run build && npm run build:h5

# ── server packages: production dependencies alone (no mini-program, no tooling, no mongod download) ─────
FROM ${NODE_IMAGE} AS server-packages
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund --loglevel=error \
    && npm cache clean --force

# ── runtime ──────────────────────────────────────────────────────────────────────────────────────────────
FROM ${NODE_IMAGE} AS runtime
# A CJK font for the lanes' printable posters (without it poster.pdf answers 503).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-wqy-zenhei=0.9.45-8 \
    && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    PARKPAY_MODE=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    PARKPAY_H5_DIR=/app/h5
WORKDIR /app
COPY --from=server-packages /app/node_modules ./node_modules
COPY package.json ./
# The server, shared code and the admin and migration scripts; server/sandbox is left out on purpose.
COPY --from=build /src/dist/server/src ./dist/server/src
COPY --from=build /src/dist/shared ./dist/shared
COPY --from=build /src/dist/scripts ./dist/scripts
COPY --from=build /src/miniapp/dist/h5 ./h5
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node is the process: SIGTERM reaches the server's graceful stop (finish requests, leases, close the database).
CMD ["node", "--enable-source-maps", "dist/server/src/main.js"]
