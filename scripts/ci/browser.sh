#!/usr/bin/env bash
# Installs Debian's chromium-headless-shell for the calendar page test (playwright-core drives it; no browser download).
set -euo pipefail
if [ ! -x /usr/bin/chromium-headless-shell ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "scripts/ci/browser.sh: installing chromium-headless-shell needs root (apt-get)" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium-headless-shell >/dev/null
fi
/usr/bin/chromium-headless-shell --version
