#!/usr/bin/env bash
# Install the Debian packages the project needs (CJK fonts for charts; Chromium for browser tests) when missing.
# usage: setup_system.sh [--test]   (--test adds Chromium for browser tests, PostgreSQL for the bank's tests, Redis for the WeCom stores
#                                    and nginx for the edge proxy's tests; the tests run it in the foreground on loopback)
set -euo pipefail
packages=()
# (grep without -q reads all of fc-list's output: with -q and pipefail, fc-list's SIGPIPE failed the test)
fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null || packages+=(fonts-noto-cjk)
if [[ ${1:-} == --test ]]; then
  [[ -x /usr/bin/chromium ]] || packages+=(chromium)
  [[ -x /usr/bin/chromedriver ]] || packages+=(chromium-driver)
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || packages+=(postgresql)
  [[ -x /usr/bin/redis-server ]] || packages+=(redis-server)
  [[ -x /usr/sbin/nginx ]] || packages+=(nginx)
fi
((${#packages[@]} == 0)) && exit 0
if [[ $(id -u) -ne 0 ]]; then
  echo "missing Debian packages: ${packages[*]} — run: sudo apt-get install -y ${packages[*]}" >&2
  exit 1
fi
echo "==> installing Debian packages: ${packages[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
