# rampart serve (and rampart agent) in a container: one binary (the `dist` profile's build: stripped, with
# LTO; it embeds the web app that `cargo xtask dist` built just before, optimised with
# wasm-opt from the npm package binaryen, hence Node.js in the build stage) on a
# distroless base, running as a non-root user.
# The root filesystem can be read-only: everything the server writes (the SQLite database,
# the key file) lives in /var/lib/rampart, a volume.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/* \
    && rustup target add wasm32-unknown-unknown \
    && cargo xtask dist \
    && cargo build --profile dist --locked -p rampart \
    && mkdir -p /out/data

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/dist/rampart /usr/local/bin/rampart
COPY --from=build --chown=65532:65532 /out/data /var/lib/rampart
WORKDIR /var/lib/rampart
USER 65532:65532
# MALLOC_ARENA_MAX=2: glibc gives each thread that allocates its own arena, and a scan's
# trees, built on several threads, left memory spread over them; two arenas kept the peak
# RSS of a 50,000-object scan at 250 MB instead of 268 MB (BENCHMARKS.md). The Rust code now
# allocates with mimalloc; glibc's malloc still serves SQLite's page cache and statements.
ENV RAMPART_LISTEN=0.0.0.0:8080 \
    RAMPART_DATABASE_URL=sqlite:///var/lib/rampart/rampart.db \
    RAMPART_SECRET_KEY_FILE=/var/lib/rampart/secret.key \
    MALLOC_ARENA_MAX=2
VOLUME /var/lib/rampart
EXPOSE 8080
# One image for both commands: `rampart serve` by default, `rampart agent` with the argument
# `agent` (deploy/agent).
ENTRYPOINT ["rampart"]
CMD ["serve"]
