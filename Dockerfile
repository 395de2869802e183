# syntax=docker/dockerfile:1
#
# One image for every node role: SERVICES picks what a container runs (README.md, "Configuration").
#   docker build -t habit-tracker .
#   docker run -p 3000:3000 -v habit-data:/app/data habit-tracker      # embedded mode
# In a cluster, set DATABASE_URL, REDIS_URL, JWT_SECRET and SERVICES (see docker-compose.yml, k8s/).

# ---- build: compile TypeScript, then drop the dev dependencies ----
FROM node:22-bookworm-slim AS build
WORKDIR /app

# Dependencies first, so the layer is reused while only sources change.
# argon2 ships prebuilt binaries for linux x64/arm64 (glibc), so no compiler is needed here.
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund

# Everything .dockerignore lets through; tsconfig.build.json decides what is compiled.
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# ---- runtime ----
FROM node:22-bookworm-slim
# In a container the metrics port must listen beyond loopback for Prometheus to scrape it; who can
# reach it is the container network's (and the orchestrator's network policies') to decide.
ENV NODE_ENV=production \
    DATA_DIR=/app/data \
    METRICS_HOST=0.0.0.0
WORKDIR /app

# Owned by root and read-only to the app user; only DATA_DIR is writable.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./package.json
# dist/src/migrate.js looks for ../../migrations, i.e. /app/migrations.
COPY migrations ./migrations

# Embedded mode only (no DATABASE_URL): PGlite data, its Unix socket and the generated
# JWT secret live here. Cluster nodes never write to it.
RUN mkdir -p /app/data && chown node:node /app/data && chmod 0700 /app/data
VOLUME ["/app/data"]

USER node
# 3000: the gateway (SERVICES including api); 3030: Prometheus metrics on every node.
EXPOSE 3000 3030

# node itself is PID 1 and handles SIGTERM/SIGINT (bin/server.ts) by stopping the broker,
# which lets in-flight requests finish for up to 10 s.
# AsyncContextFrame: request ids in log lines without async_hooks' cost on Node 22 (scripts/node.sh).
CMD ["node", "--experimental-async-context-frame", "dist/bin/server.js"]
