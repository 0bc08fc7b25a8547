# Sourced by .ci/run (and the dev container's set-up): every step that reaches the npm registry
# gets the machine's CA and proxy settings and a bounded time, and a failure is one line that names
# what it tried to reach and which of those settings it saw.

# npm run under the downloaded Node reads that Node's global npmrc, not the system npm's (where a
# corporate CA is usually configured): hand it the CA the machine trusts explicitly.
if [[ -z "${npm_config_cafile:-}" ]]; then
  for ca in "${NODE_EXTRA_CA_CERTS:-}" "${SSL_CERT_FILE:-}"; do
    if [[ -n "$ca" && -r "$ca" ]]; then export npm_config_cafile="$ca"; break; fi
  done
fi
# npm's defaults retry for minutes on a refused certificate; 30 s a request, one retry.
export npm_config_fetch_timeout="${npm_config_fetch_timeout:-30000}"
export npm_config_fetch_retries="${npm_config_fetch_retries:-1}"
export npm_config_fetch_retry_maxtimeout="${npm_config_fetch_retry_maxtimeout:-10000}"
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

registry_url() { echo "${npm_config_registry:-https://registry.npmjs.org/}"; }

# What the machine told us about its network, names and whether each is set (never the values of
# anything that could hold a credential: proxy URLs may carry a password).
network_settings() {
  local seen=() v
  for v in NODE_EXTRA_CA_CERTS SSL_CERT_FILE SSL_CERT_DIR npm_config_cafile HTTPS_PROXY HTTP_PROXY \
    NO_PROXY https_proxy http_proxy no_proxy; do
    if [[ -n "${!v:-}" ]]; then seen+=("$v"); fi
  done
  if ((${#seen[@]})); then echo "set: ${seen[*]}"; else echo "none of NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, SSL_CERT_DIR, HTTPS_PROXY, HTTP_PROXY, NO_PROXY is set"; fi
}

# registry_step WHAT COMMAND...: runs COMMAND for at most KEYLESS_REGISTRY_TIMEOUT seconds (600).
# On failure prints the command's last lines, then one line naming the registry and the settings.
registry_step() {
  local what=$1 out rc=0
  shift
  out=$(mktemp)
  timeout "${KEYLESS_REGISTRY_TIMEOUT:-600}" "$@" >"$out" 2>&1 || rc=$?
  if ((rc != 0)); then
    tail -n 8 "$out" >&2
    local why="failed (exit $rc)"
    ((rc == 124)) && why="did not finish in ${KEYLESS_REGISTRY_TIMEOUT:-600} s"
    if grep -qE 'SELF_SIGNED_CERT|UNABLE_TO_(GET|VERIFY)|CERT_|unable to (get|verify)' "$out"; then
      why="$why: the registry's TLS certificate is not trusted — point NODE_EXTRA_CA_CERTS (or SSL_CERT_FILE) at your network's CA file"
    fi
    echo "ci: installing $what from $(registry_url) $why; network settings $(network_settings)." >&2
    rm -f "$out"
    exit 1
  fi
  rm -f "$out"
}
