#!/usr/bin/env bash
# Run by scripts/test.sh: tests/test_browser.py drives Debian's Chromium (/usr/bin/chromium)
# through Playwright (never a downloaded browser).  Install it once when we can (root with
# apt-get, about 2 minutes); otherwise say that the browser test will be skipped.
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "[vulib] installing Chromium for the browser test (apt-get, once, ~2 min)..."
    if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; then
        exit 0
    fi
    echo "[vulib] apt-get could not install chromium."
fi
echo "[vulib] no /usr/bin/chromium: tests/test_browser.py will be skipped (or fail where CI is set)."
