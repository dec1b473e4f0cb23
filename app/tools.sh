# Installs what building and testing Filterlab needs, skipping whatever is already there.
# Sourced by app/serve and tests/run. Everything comes from crates.io or Debian; nothing else.

# One build cache outside the clone, shared by every build and test run on this machine.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/filterlab/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# wasm-opt: binaryen from the npm registry (Debian's binaryen 108 corrupts wasm-bindgen's externref table).
WASM_OPT_DIR="$HOME/.cache/filterlab/binaryen"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$WASM_OPT_DIR/node_modules/.bin:$PATH"

need_wasm_target() {
  rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
}

# Trunk, wasm-bindgen and wasm-opt: what `trunk build` needs.
need_trunk() {
  # Trunk runs wasm-opt (flags in index.html) and finds it on PATH.
  need_wasm_opt
  need_rust_tools
}

# Trunk, and wasm-bindgen at exactly the version in Cargo.lock (otherwise Trunk would download one).
need_rust_tools() {
  need_wasm_target
  # Trunk builds offline: every crate in Cargo.lock, for every target, must be here already.
  cargo fetch --locked
  # Trunk 0.22 needs a newer rustc than this toolchain (1.95); 0.21 is the newest that builds.
  # Unoptimised (--debug, no debug info), without default features (TLS, for downloads this
  # project forbids and HTTPS serving it does not use; an update check): Trunk's own work is
  # copying files and running cargo, wasm-bindgen and wasm-opt, and it compiles in 3.8 minutes
  # instead of 9.4 (measured on this 2-core machine).
  command -v trunk >/dev/null ||
    CARGO_PROFILE_DEV_DEBUG=false cargo install --locked trunk --version "^0.21" --no-default-features --debug
  # geckodriver: the WebDriver server for Firefox ESR (the browser tests' second engine). Only
  # Mozilla's release binaries exist besides crates.io; built unoptimised it takes under a minute.
  command -v geckodriver >/dev/null ||
    CARGO_PROFILE_DEV_DEBUG=false cargo install --locked geckodriver --version "^0.37" --debug
  local want
  want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print }' Cargo.lock)
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
    cargo install wasm-bindgen-cli --version "=$want" --no-default-features
  fi
}

need_wasm_opt() {
  [ -x "$WASM_OPT_DIR/node_modules/.bin/wasm-opt" ] && return
  command -v npm >/dev/null || need_apt nodejs npm
  npm install --prefix "$WASM_OPT_DIR" --no-audit --no-fund binaryen@132.0.0
}

# axe-core, the accessibility checker the browser tests inject into the page (npm registry).
need_axe() {
  local dir="$HOME/.cache/filterlab/axe"
  [ -f "$dir/node_modules/axe-core/axe.min.js" ] && return
  command -v npm >/dev/null || need_apt nodejs npm
  npm install --prefix "$dir" --no-audit --no-fund axe-core@4.11.0
}

# need_apt in the background, so that downloading and unpacking Debian packages overlaps the
# compiling in need_rust_tools; need_apt_wait joins it, and fails if it failed. Nothing else may
# call need_apt in between (dpkg allows one at a time).
need_apt_start() {
  APT_LOG=$(mktemp)
  need_apt "$@" >"$APT_LOG" 2>&1 &
  APT_PID=$!
}
need_apt_wait() {
  if ! wait "$APT_PID"; then
    cat "$APT_LOG" >&2
    echo "installing Debian packages failed (above)" >&2
    return 1
  fi
  cat "$APT_LOG"
  rm -f "$APT_LOG"
}

need_apt() {
  local missing=()
  # Installed, not merely known: `dpkg -s` also succeeds for a package removed with its
  # configuration files left behind.
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q ' installed$' || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
  fi
}
