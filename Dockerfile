# smartlic: the production process (`smartlic serve`) in a container.
#   docker build -t smartlic .
#   docker run -d --name smartlic -p 3000:3000 -v smartlic-data:/var/lib/smartlic \
#     --env-file smartlic.env smartlic
# The database and its key file (smartlic.db.key) live in the volume /var/lib/smartlic: back up
# both together (`smartlic db backup FILE --with-key`). Settings: environment variables, or a
# config file mounted over /app/deploy/container.yaml (SMARTLIC_CONFIG).

# Node 24 LTS (Node 20 reached end of life on 2026-04-30; CI runs the suite on both).
# Build stage: compilers for better-sqlite3's native module, production dependencies only.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# Runtime stage: no compilers, a non-root user, the data in a volume.
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    ASTRO_TELEMETRY_DISABLED=1 \
    SMARTLIC_CONFIG=/app/deploy/container.yaml \
    SMARTLIC_DB=/var/lib/smartlic/smartlic.db \
    SMARTLIC_SITE_OUT=/var/lib/smartlic/site \
    SMARTLIC_EMULATOR=false \
    SMARTLIC_HTTP_PORT=3000
WORKDIR /app
RUN groupadd --system smartlic \
  && useradd --system --gid smartlic --home-dir /var/lib/smartlic --shell /usr/sbin/nologin smartlic \
  && mkdir -p /var/lib/smartlic \
  && chown smartlic:smartlic /var/lib/smartlic
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json LICENSE README.md ./
COPY bin ./bin
COPY core ./core
COPY bot ./bot
COPY emulator ./emulator
COPY data/scenarios ./data/scenarios
COPY deploy/container.yaml ./deploy/container.yaml
COPY --chown=smartlic:smartlic site ./site
# The bundle of the sources (bin/build.js), built once here, as root: every process of the image
# starts from it without the TypeScript loader, and nothing is built at run time.
# The site's pages are compiled on the first site build (site/lib/bundle.ts) into
# dist/site-bundle, kept for the next ones: the user that builds the site writes it.
RUN node bin/build.js
RUN mkdir -p dist/site-bundle && chown smartlic:smartlic dist/site-bundle
USER smartlic
VOLUME ["/var/lib/smartlic"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.SMARTLIC_HTTP_PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "bin/smartlic.js", "serve"]
