#!/usr/bin/env bash
# Sourced by scripts/test.sh: the shell sandbox (src/core/sandbox) needs bubblewrap and socat on Linux,
# and the sandbox runtime uses ripgrep. The tests run with the real sandbox, so on a fresh machine they
# are installed when missing (as root with apt, as on CI); elsewhere this says what to install.
if [ "$(uname -s)" = "Linux" ]; then
  missing=()
  command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
  command -v socat >/dev/null 2>&1 || missing+=(socat)
  command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
  if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "ensure-sandbox-tools: installing ${missing[*]}"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    else
      echo "ensure-sandbox-tools: the shell sandbox needs ${missing[*]}; install them (sudo apt-get install bubblewrap socat ripgrep)" >&2
    fi
  fi
fi
