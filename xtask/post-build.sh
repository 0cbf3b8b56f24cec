#!/bin/sh
# Trunk post_build hook: runs in the project root with TRUNK_STAGING_DIR set.
# 0. The board (board.html, its own bundle) is built first, into TENFOUR_BOARD_DIST; the
#    field app's build (index.html) takes it in as board/. The board's own build stops here.
# 1. Writes the service worker's precache list and version from the files of this build.
# 2. In release builds, writes .br and .gz copies that the hub serves as they are.
set -eu
cd "${TRUNK_STAGING_DIR:?run by trunk}"
[ -f sw.js ] || exit 0
if [ -n "${TENFOUR_BOARD_DIST:-}" ]; then
  rm -rf board
  cp -R "$TENFOUR_BOARD_DIST" board
fi

files=$(find . -type f ! -name 'sw.js' ! -name '*.br' ! -name '*.gz' | sed 's|^\./|/|' | LC_ALL=C sort)
version=$(find . -type f ! -name 'sw.js' ! -name '*.br' ! -name '*.gz' -print0 | LC_ALL=C sort -z \
  | xargs -0 sha256sum | sha256sum | cut -c1-16)
list=$(printf '%s\n' $files | sed 's/.*/"&"/' | paste -sd, -)
sed -i -e "s|__TENFOUR_VERSION__|$version|" -e "s|__TENFOUR_PRECACHE__|[$list]|" sw.js

if [ "${TRUNK_PROFILE:-debug}" = "release" ]; then
  for f in $(find . -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.html' -o -name '*.webmanifest' \)); do
    gzip -9 -k -f "$f"
    if command -v brotli >/dev/null 2>&1; then
      brotli -q 11 -k -f "$f"
    fi
  done
fi
