# syntax=docker/dockerfile:1
# The images gateway: multi-stage build on Node 22 LTS (slim), production dependencies only,
# running as the image's unprivileged `node` user (uid 1000).
ARG NODE_IMAGE=node:22-bookworm-slim

# Compiles TypeScript to dist/ (generated code is committed, so no codegen here).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Production dependencies only: what dist/ imports at run time (pino-pretty and the rest of the
# dev tooling stay out; LOG_PRETTY is for `npm run dev`).
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
# MALLOC_ARENA_MAX=1: one glibc malloc arena for every thread. Otherwise V8's and libuv's
# helper threads keep arenas of their own, whose freed memory stays resident.
# --max-old-space-size: V8's heap sized for the container (2/3 of deploy/'s 768Mi limit) rather
# than for the machine, so it collects before growing far past the live data, which the byte
# bounds of the caches keep well below it. npm run bench runs the gateway with this stage's ENV.
ENV NODE_ENV=production \
    PORT=4000 \
    MALLOC_ARENA_MAX=1 \
    NODE_OPTIONS=--max-old-space-size=512
WORKDIR /app
# The runtime reads these next to dist/: server.ts resolves ../schema and ../package.json,
# upstream/contract.ts ../../openapi, plugins/persisted-documents.ts ../../client. Files stay root-owned
# and read-only for the process.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY schema ./schema
COPY openapi ./openapi
COPY client/persisted-documents.json ./client/persisted-documents.json
USER 1000:1000
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node as PID 1 gets SIGTERM directly (no npm in between), so graceful shutdown works.
CMD ["node", "dist/main.js"]
