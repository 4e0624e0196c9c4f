# Dockerfile - the cbkit mock as a container image (docs/ci.md):
#
#   docker build -t cbkit .
#   docker run --rm -p 7766:7766 cbkit                        # the mock on port 7766
#   docker run --rm -p 7766:7766 -e CBKIT_ADMIN_TOKEN=s3cret -e CBKIT_SEED=7 cbkit
#
# Configured by CBKIT_* variables (docs/mock.md, "Configuration from the environment"). The
# mock listens on all addresses of the container; the admin API (/__cbkit/) answers other
# hosts only with the token CBKIT_ADMIN_TOKEN (CBKIT_ADMIN_REMOTE=auto), and only the
# container itself without one; GET /__cbkit/health stays open. Runs as a non-root user;
# HEALTHCHECK runs `cbkit health` (no curl in the image). The final stage is `FROM scratch` with
# the tree scripts/image-rootfs.sh makes in the build stage (about 22 MB; ctest install.rootfs
# builds the same tree and runs it under chroot).

# ---- build ---------------------------------------------------------------------------------
FROM debian:12-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        gcc libc6-dev cmake make pkg-config ca-certificates \
        libfyaml-dev libjson-c-dev libpcre2-dev libmicrohttpd-dev libcurl4-openssl-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DCBK_BUILD_TESTS=OFF -DCBK_SHARED=OFF \
 && cmake --build /build --target cbkit -j"$(nproc)" \
 && strip /build/cbkit \
 && /build/cbkit version \
 && scripts/image-rootfs.sh /rootfs /build/cbkit

# ---- run: the binary, the Debian 12 libraries it loads, a user; no shell, no packages -------
FROM scratch
COPY --from=build /rootfs /
USER 10001:10001
WORKDIR /work
ENV CBKIT_HOST=0.0.0.0 \
    CBKIT_PORT=7766 \
    CBKIT_ADMIN_REMOTE=auto
EXPOSE 7766
HEALTHCHECK --interval=5s --timeout=3s --start-period=2s --retries=3 \
    CMD ["/usr/local/bin/cbkit", "health", "--timeout", "2"]
ENTRYPOINT ["/usr/local/bin/cbkit"]
CMD ["mock"]
