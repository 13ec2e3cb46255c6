# syntax=docker/dockerfile:1
# One image for the three Gatehouse apps; the command picks the app:
#   gateway       (default)  CMD ["dist/apps/gateway/src/main.js"]
#   proxy-worker             command: ["dist/apps/proxy-worker/src/main.js"]
#   audit                    command: ["dist/apps/audit/src/main.js"]
# Scripts run the same way, e.g. `docker compose run --rm gateway dist/scripts/prepare-database.js`.

ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: all dependencies, compile TypeScript ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No dependency install scripts, as package.json's allowScripts records (the image's npm 10
# ignores that field): none is needed, and one of them reports the install (telemetry).
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY apps ./apps
COPY libs ./libs
COPY scripts ./scripts
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: production dependencies and compiled output only ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
# Code is owned by root and read-only to the app; the app runs as the image's unprivileged
# `node` user (uid 1000) and writes only to /tmp (a tmpfs in compose).
USER node
EXPOSE 3000
# The gateway answers GET /health; proxy-worker and audit touch a heartbeat file under /tmp.
# compose passes the app name explicitly; without it the script works it out.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "dist/scripts/healthcheck.js"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["node"]
CMD ["dist/apps/gateway/src/main.js"]
