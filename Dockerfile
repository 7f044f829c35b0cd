# syntax=docker/dockerfile:1
# Build: the same locked, offline-checked build CI runs, in release mode.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
ENV SQLX_OFFLINE=true CARGO_TERM_COLOR=never
# Dependencies first, so that editing the sources reuses this layer.
# The workspace's crates (crates/*) are stubbed the same way.
COPY Cargo.toml Cargo.lock ./
COPY crates/tlog/Cargo.toml crates/tlog/Cargo.toml
RUN mkdir src bench crates/tlog/src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs crates/tlog/src/lib.rs \
 && for bench in worker ledger http; do echo 'fn main() {}' > bench/$bench.rs; done \
 && cargo build --release --locked --bin dataip \
 && rm -rf src bench crates/tlog/src
COPY .cargo .cargo
COPY .sqlx .sqlx
COPY migrations migrations
COPY config config
COPY assets assets
COPY bench bench
COPY templates templates
COPY crates crates
COPY src src
RUN touch src/main.rs src/lib.rs crates/tlog/src/lib.rs && cargo build --release --locked --bin dataip

# Run: a small Debian with CA certificates and an unprivileged user.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin dataip
WORKDIR /app
COPY --from=build /src/target/release/dataip /usr/local/bin/dataip
# Production settings only (the defaults are built in): the test settings,
# with their fixed secrets, stay out of the image.
COPY config/production.toml /app/config/production.toml
ENV DATAIP_ENV=production DATAIP_CONFIG_DIR=/app/config
USER 10001:10001
# The API and portal; /metrics (when server.metrics_addr is 0.0.0.0:9090).
EXPOSE 8080 9090
ENTRYPOINT ["dataip"]
CMD ["serve"]
