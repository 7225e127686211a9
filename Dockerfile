# proxyer: compiled in a build stage, run from a slim image with production dependencies only, as the node user.
# docker build -t proxyer . && docker run -p 3002:3002 proxyer   (REDIS_URL=redis://... for cluster mode)

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src src
COPY plugins plugins
COPY routes routes
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# package.json sits at /app next to dist/ and public/: the server finds public/ from the folder holding package.json
COPY --from=build /app/dist dist
COPY public public
# the work-queue Lua scripts are read from the sources at start (tsc does not copy them)
COPY src/queue/lua src/queue/lua
USER node
EXPOSE 3002
# /ready, not /health: an instance that cannot reach Redis or is shutting down is up but must not get traffic.
# Slim images have no curl; node's own fetch does the request.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 3002}/ready`).then((res) => process.exit(res.ok ? 0 : 1), () => process.exit(1))"]
# node itself as PID 1 gets the SIGTERM of `docker stop` and closes the sockets with 1001 before exiting
CMD ["node", "dist/src/server.js"]
