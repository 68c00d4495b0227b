# Pincer as one container: Node 24, the service, the Claude Code CLI, Chromium with fonts,
# tini as PID 1. Railway, Fly, Render and plain Docker all run this same image.
#
# The build stage checks the TypeScript with the dev dependencies and compiles src/ to
# dist/ (scripts/build.sh): the service runs as plain JavaScript, which spares it the
# resident memory of Node's type stripping. The CLI (`pincer`) still runs from src/. The
# runtime stage gets the production dependencies only.
# CI builds and runs this image with buildah (test/deploy/image.test.ts).

FROM node:24-bookworm-slim AS build
# Build steps run as the image's unprivileged `node` user.
RUN install -d -o node -g node /app
USER node
WORKDIR /app
COPY --chown=node:node package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY --chown=node:node . .
RUN npx tsc -p tsconfig.json && sh scripts/build.sh

FROM node:24-bookworm-slim AS production-deps
RUN install -d -o node -g node /app
USER node
WORKDIR /app
COPY --chown=node:node package.json package-lock.json ./
# Optional dependencies stay: the Claude Code CLI is the Agent SDK's optional
# per-platform package (@anthropic-ai/claude-agent-sdk-linux-<arch>).
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim AS runtime
RUN apt-get update \
  && apt-get install -y --no-install-recommends \
    tini ca-certificates git libjemalloc2 \
    chromium fonts-liberation fonts-noto-color-emoji fonts-noto-cjk \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    DATA_DIR=/data \
    PORT=3000 \
    CHROMIUM_PATH=/usr/bin/chromium
# No VOLUME instruction: Railway refuses to build a Dockerfile that has one. Mount a
# volume at /data on every host (see the README); without one, state lives and dies with
# the container.
RUN mkdir -p /data
WORKDIR /app
COPY --from=production-deps /app/node_modules ./node_modules
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/src ./src
COPY --from=build /app/dist ./dist
COPY --from=build /app/skills ./skills
COPY --from=build /app/bin ./bin
COPY --from=build /app/scripts/node.sh ./scripts/node.sh
COPY --from=build /app/scripts/serve.sh ./scripts/serve.sh
# `pincer status`, `pincer backup` ... from a shell in the container.
RUN ln -s /app/bin/pincer /usr/local/bin/pincer
# No USER: the service runs as root on purpose. It starts each group's agent as that
# group's own unprivileged Unix uid (per-group isolation), and only root may do that.
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# The compiled service with a small young generation (scripts/serve.sh says why).
CMD ["sh", "scripts/serve.sh"]
