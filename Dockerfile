# proxyer: compiled in a build stage, run from a slim image with production dependencies only, as the node user.
# docker build -t proxyer . && docker run -p 3002:3002 proxyer   (REDIS_URL=redis://... for cluster mode)
# test/docker-build.long.ts replays the build stage's COPY and RUN lines and checks what the runtime stage copies.

# Node 24: an LTS supported until April 2028
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` (the build) would run here, before the sources are copied; it runs below instead
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json tsconfig.client.json ./
COPY client client
COPY src src
COPY plugins plugins
COPY routes routes
# the server into dist/src, dist/plugins, dist/routes; the client SDK (/client.js) into dist/client
RUN npm run build

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build again, with a compiler that production installs leave out
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
# package.json sits at /app next to dist/ and public/: the server finds public/ from the folder holding package.json
COPY --from=build /app/dist dist
COPY public public
USER node
EXPOSE 3002
# /ready, not /health: an instance that cannot reach Redis or is shutting down is up but must not get traffic.
# Slim images have no curl; node's own fetch does the request.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 3002}/ready`).then((res) => process.exit(res.ok ? 0 : 1), () => process.exit(1))"]
# node itself as PID 1 gets the SIGTERM of `docker stop` and closes the sockets with 1001 before exiting
CMD ["node", "dist/src/server.js"]
