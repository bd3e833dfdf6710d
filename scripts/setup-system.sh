#!/usr/bin/env bash
# Installs the Debian packages the test suite drives as independent peers: real browsers for the e2e
# package, python3-websockets for interop tests and redis-server for @wsts/redis. Browser downloads are impossible on our machines, so
# the engines come from Debian. Idempotent: does nothing when everything is already there, so `pnpm test`
# and `pnpm e2e` can run it every time.
set -euo pipefail

need=()
# Chromium (driven by Playwright over CDP) and Firefox ESR (puppeteer over WebDriver BiDi).
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v firefox-esr >/dev/null 2>&1 || need+=(firefox-esr)
# WebKitGTK: WebKitWebDriver plus the MiniBrowser its library ships; MiniBrowser needs an X display.
command -v WebKitWebDriver >/dev/null 2>&1 || [ -x /usr/bin/WebKitWebDriver ] || need+=(webkit2gtk-driver)
if ! compgen -G '/usr/lib/*/webkit2gtk-*/MiniBrowser' >/dev/null; then
  case " ${need[*]-} " in *' webkit2gtk-driver '*) ;; *) need+=(webkit2gtk-driver) ;; esac
fi
command -v Xvfb >/dev/null 2>&1 || need+=(xvfb)
# The tests run Debian's interpreter, /usr/bin/python3, whatever python3 is first on PATH (pyenv here).
/usr/bin/python3 -c 'import websockets' >/dev/null 2>&1 || need+=(python3-websockets)
# A real Redis for packages/redis: its tests start their own redis-server on a free port.
redis_installed=1
command -v redis-server >/dev/null 2>&1 || { need+=(redis-server); redis_installed=0; }

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "setup-system: missing Debian packages: ${need[*]}; run as root or: sudo apt-get install ${need[*]}" >&2
  exit 1
fi
echo "setup-system: installing ${need[*]} from Debian's packages"
export DEBIAN_FRONTEND=noninteractive
# Another apt run (a provisioning step) may hold the dpkg lock: wait for it instead of failing.
# With recommends: that is the set the suite was proven on (fonts and helpers the engines expect).
apt_opts=(-o DPkg::Lock::Timeout=600 -y -qq)
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get install "${apt_opts[@]}" "${need[@]}" >/dev/null
# The package starts (or enables) a system Redis on port 6379; the tests start their own, so stop it.
if [ "$redis_installed" = 0 ]; then
  systemctl disable --now redis-server >/dev/null 2>&1 || true
  service redis-server stop >/dev/null 2>&1 || true
fi
