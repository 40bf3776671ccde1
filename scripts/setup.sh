#!/usr/bin/env bash
# Installs what Sextant needs to build, test and benchmark, from Debian's packages
# and (for the report's chart library) the npm registry. Safe to run again: it
# installs only what is missing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

packages=(
    build-essential cmake pkg-config clang-format
    libtorch-dev libxgboost-dev libsqlite3-dev zlib1g-dev
    libcpp-httplib-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
    libhowardhinnant-date-dev tzdata libhnswlib-dev
    libgtest-dev libgmock-dev libbenchmark-dev
    libopenblas0-pthread chromium libxxhash-dev
    python3 python3-pandas python3-numpy
)
# The benchmarks' peers (not needed to build or test): `scripts/setup.sh --bench`.
if [ "${1:-}" = "--bench" ]; then
    packages+=(python3-torch python3-sklearn python3-xgboost)
fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    sudo_cmd=(sudo)
fi

# Node.js may come from elsewhere; Debian's npm is needed only when there is none.
if ! command -v npm >/dev/null 2>&1; then
    missing+=(nodejs npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${missing[@]}"
else
    echo "setup: Debian packages present"
fi

# The report inlines its chart library; package-lock.json pins the version.
if [ ! -f "$here/web/node_modules/chart.js/dist/chart.umd.js" ]; then
    echo "setup: installing the chart library from npm"
    (cd "$here/web" && npm ci --no-audit --no-fund --loglevel=error)
else
    echo "setup: chart library present"
fi
