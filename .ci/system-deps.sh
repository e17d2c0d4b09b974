#!/usr/bin/env bash
# System packages (Debian) for a target; installs only what is missing.
#   bash .ci/system-deps.sh demo   git, and node to build the side panel (make demo, make lab)
#   bash .ci/system-deps.sh test   the above plus Chromium (browser tests), PostgreSQL (team-mode tests),
#                                  Prometheus (serving tests) and a Java runtime (Spark engine tests)
# Without an argument: test (everything).
set -euo pipefail
target="${1:-test}"
case "$target" in
  demo|test) ;;
  *) echo "usage: $0 [demo|test]" >&2; exit 2 ;;
esac
need=()
command -v git >/dev/null || need+=(git)
command -v node >/dev/null || need+=(nodejs npm)
if [ "$target" = test ]; then
  command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || need+=(chromium fonts-liberation)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  command -v prometheus >/dev/null || need+=(prometheus)  # scrapes the serving gateway in tests
  command -v java >/dev/null || need+=(openjdk-17-jre-headless)  # Spark engine tests (pyspark 4.3, local mode)
fi
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing system packages for '$target': ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
