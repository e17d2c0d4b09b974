#!/usr/bin/env bash
# System packages the tests and demos need (Debian). Installs only what is missing.
set -euo pipefail
need=()
command -v git >/dev/null || need+=(git)
command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || need+=(chromium fonts-liberation)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v node >/dev/null || need+=(nodejs npm)
command -v java >/dev/null || need+=(openjdk-17-jre-headless)  # Spark engine (pyspark 4.3, local mode)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing system packages: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
