# swe-bot's own image: the GitHub App and its workers.
#
#   docker build -t swe-bot .
#   docker run -d --init -p 3000:3000 -v /var/run/docker.sock:/var/run/docker.sock \
#     --group-add "$(stat -c %g /var/run/docker.sock)" -v swe-bot-data:/app/.data \
#     -v swe-bot-egress:/run/swe-bot-egress \
#     --env-file .env swe-bot                  # `swe-bot serve`: web server and workers
#
# or docker-compose.yml (app, Redis, optional vLLM). The entrypoint is the
# `swe-bot` command line; the default command is `serve` (`serve --role
# worker` for worker-only containers).
#
# The app drives the host's Docker engine through its socket (no docker CLI is
# needed: dockerode speaks the API). Sources are TypeScript run by Node's type
# stripping, so there is no build step: the image holds the sources as they are.
#
# BASE_OS is any Debian-like image the engine has or can pull. Where no
# registry answers, `debootstrap` + `docker import` can make debian:bookworm-slim
# (swe-bot does the same for its sandbox images).
ARG BASE_OS=debian:bookworm-slim

# --- Node.js, with the project's installer (from the npm registry) -------------
# The release pinned for the default major in docker/base/toolchains.json, the
# same the sandbox's node image carries.
FROM ${BASE_OS} AS node
ARG DEBIAN_FRONTEND=noninteractive
# Extra CA certificates (*.crt, PEM) for TLS-inspecting proxies: put them in
# docker/app-ca/ before building. The folder is empty in git.
COPY docker/app-ca/ /usr/local/share/ca-certificates/swe-bot-app/
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates python3 \
 && update-ca-certificates \
 && rm -rf /var/lib/apt/lists/*
ARG SWE_BOT_NPM_REGISTRY=https://registry.npmjs.org
COPY docker/base/common/install-node.py /tmp/install-node.py
COPY docker/base/toolchains.json /tmp/toolchains.json
RUN SWE_BOT_NPM_REGISTRY="$SWE_BOT_NPM_REGISTRY" python3 /tmp/install-node.py --pins /tmp/toolchains.json /opt/node
ENV PATH=/opt/node/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt

# --- Production dependencies ----------------------------------------------------
FROM node AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=dev leaves out the `node` devDependency too: Node comes from /opt/node.
# No install scripts: the native add-ons swe-bot's dependencies can use are
# optional and have prebuilt or pure-JavaScript fallbacks.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# --- Runtime ----------------------------------------------------------------------
FROM ${BASE_OS} AS runtime
ARG DEBIAN_FRONTEND=noninteractive
# git: fetching repositories; debootstrap: bootstrapping the sandbox OS image
# where no registry answers (it needs root, so run as root for that); python3:
# Node installs inside the sandbox images; redis-server: the queue store the
# app starts itself when REDIS_URL is unset.
COPY --from=node /usr/local/share/ca-certificates/swe-bot-app/ /usr/local/share/ca-certificates/swe-bot-app/
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git debootstrap python3 redis-server \
 && update-ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 --shell /usr/sbin/nologin swebot
COPY --from=node /opt/node/bin/node /opt/node/bin/node
ENV PATH=/opt/node/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    NODE_ENV=production \
    LANG=C.UTF-8
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json app.yml ./
COPY bin ./bin
COPY src ./src
COPY docker ./docker
# The sources stay root-owned; the app writes only its data folder. The
# credentials the first start's registration writes to `.env` land in the
# data volume through a link, so they survive a new container.
# /run/swe-bot-egress holds the egress proxies' sockets; run with the volume
# named below mounted there, so the engine can hand it to the forwarders of
# environment builds (src/sandbox/egress-forwarder.ts). A new volume takes
# this folder's owner.
RUN mkdir -p /app/.data /run/swe-bot-egress \
 && chown swebot:swebot /app/.data /run/swe-bot-egress \
 && ln -s .data/.env /app/.env
ENV SWE_BOT_EGRESS_DIR=/run/swe-bot-egress \
    SWE_BOT_EGRESS_VOLUME=swe-bot-egress
USER swebot
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# `swe-bot <command>`; SIGTERM (docker stop) shuts down gracefully.
ENTRYPOINT ["node", "bin/swe-bot.js"]
CMD ["serve"]
