#!/usr/bin/env bash
# The tools `make bench` compares the service with: ocrmypdf, the tesseract CLI, pdftoppm.
# Installed with apt-get when missing and running as root; otherwise the benchmark
# reports each missing tool and runs the rest.
set -uo pipefail
missing=()
command -v ocrmypdf >/dev/null || missing+=(ocrmypdf)
command -v tesseract >/dev/null || missing+=(tesseract-ocr)
command -v pdftoppm >/dev/null || missing+=(poppler-utils)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing ${missing[*]} for the benchmark comparisons" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null && exit 0
fi
echo "not installed: ${missing[*]}; those comparisons will be reported as missing" >&2
exit 0
