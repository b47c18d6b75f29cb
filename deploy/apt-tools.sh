#!/usr/bin/env bash
# Install the Debian packages the tests use (promtool from `prometheus`; chromium and its driver
# for the browser tests, with a font that has Vietnamese letters; kcat), when missing.
set -euo pipefail
need=()
command -v promtool >/dev/null || need+=(prometheus)
{ command -v chromium && command -v chromedriver; } >/dev/null || need+=(chromium chromium-driver)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
# kcat (librdkafka): the boundary tests publish as a non-Java client does (CRC32 keys, codecs).
command -v kcat >/dev/null || need+=(kcat)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else
    echo "error: install the Debian packages ${need[*]} (needs root)" >&2; exit 1; fi
else SUDO=""; fi
echo "installing Debian packages: ${need[*]}"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# The package starts a Prometheus server as a service; the tests run their own.
if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
  $SUDO systemctl stop prometheus || true
fi
