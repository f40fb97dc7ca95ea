#!/usr/bin/env bash
# Installs Debian's chromium, the headless browser of the console's end-to-end
# test (TestIntegrationConsole runs this when no chromium is on the PATH).
set -euo pipefail
if command -v chromium >/dev/null; then exit 0; fi
sudo_cmd=""
[ "$(id -u)" = 0 ] || sudo_cmd=sudo
echo "installing chromium (Debian package) for the console browser test" >&2
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
command -v chromium >/dev/null
