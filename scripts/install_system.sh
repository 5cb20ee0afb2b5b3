#!/usr/bin/env bash
# Debian packages the app and its tests need; installs only what is missing.
#
#   scripts/install_system.sh          chromium, fonts-noto-cjk, postgresql, postgresql-<major>-postgis-3,
#                                      libreoffice-writer-nogui (Word → PDF), poppler-utils (pdftoppm in tests),
#                                      nginx and openssl (the HttpOnly-cookie and cluster deployments under test:
#                                      they run their own nginx binary with their own config, pid and logs)
#   scripts/install_system.sh --venv   python3-venv (Debian's python3 cannot create a venv without it)
#
# Not root or not Debian: prints what is missing and exits 0 (browser and PostgreSQL
# tests then skip locally; under CI=true they fail, so CI must run this as root).
set -euo pipefail

mode=${1:-all}

pg_major() {
    # the PostgreSQL major whose PostGIS package to install: env, installed server, or the release default
    if [[ -n "${PG_MAJOR:-}" ]]; then echo "$PG_MAJOR"; return; fi
    local installed
    installed=$(ls -1 /usr/lib/postgresql 2>/dev/null | grep -E '^[0-9]+$' | sort -n | tail -n1 || true)
    if [[ -n "$installed" ]]; then echo "$installed"; return; fi
    local version_id=""
    [[ -r /etc/os-release ]] && version_id=$(. /etc/os-release && echo "${VERSION_ID:-}")
    case "$version_id" in
        11) echo 13 ;;
        13) echo 17 ;;
        *)  echo 15 ;;  # Debian 12 (bookworm)
    esac
}

case "$mode" in
    all)    packages=(chromium fonts-noto-cjk postgresql "postgresql-$(pg_major)-postgis-3" libreoffice-writer-nogui poppler-utils nginx openssl) ;;
    --venv) packages=(python3-venv) ;;
    *)      echo "usage: $0 [--venv]" >&2; exit 2 ;;
esac

if [[ ! -r /etc/debian_version ]] || ! command -v dpkg >/dev/null || ! command -v apt-get >/dev/null; then
    echo "install_system: not a Debian system; install these yourself if needed: ${packages[*]}"
    exit 0
fi

missing=()
for pkg in "${packages[@]}"; do
    if ! dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed'; then
        missing+=("$pkg")
    fi
done

if (( ${#missing[@]} == 0 )); then
    echo "install_system: all present: ${packages[*]}"
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    echo "install_system: NOTE: missing ${missing[*]}"
    echo "install_system: not root, so not installing; as root run: apt-get install -y ${missing[*]}"
    echo "install_system: until then browser/PostgreSQL tests are skipped (and fail under CI=true)"
    exit 0
fi

echo "install_system: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# one `apt-get update`, skipped when the package lists are under an hour old (e.g. the --venv run just did it)
if ! find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -60 2>/dev/null | grep -q .; then
    apt-get update -q
fi
apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "install_system: done"
