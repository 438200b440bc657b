# The testnet image: the static tinychain binary (CGO_ENABLED=0, no libc)
# with the testnet's genesis and bootstrap key, on an empty base so that
# building it pulls nothing. scripts/testnet-build builds the binary into
# bin/static/ and then this image; docker-compose.yml runs it.
FROM scratch
COPY bin/static/tinychain /tinychain
COPY testnet/genesis.json testnet/bootstrap.key /testnet/
# HTTP API and p2p (TCP and QUIC).
EXPOSE 8080 4001 4001/udp
ENTRYPOINT ["/tinychain"]
CMD ["node", "--datadir", "/data", "--genesis", "/testnet/genesis.json", "--http", "0.0.0.0:8080"]
