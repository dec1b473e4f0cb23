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

# Trunk, and wasm-bindgen at exactly the version in Cargo.lock (otherwise Trunk would download one).
need_trunk() {
  need_wasm_target
  # Trunk runs wasm-opt (flags in index.html) and finds it on PATH.
  need_wasm_opt
  # Trunk builds offline: every crate in Cargo.lock, for every target, must be here already.
  cargo fetch --locked
  # Trunk 0.22 needs a newer rustc than this toolchain (1.95); 0.21 is the newest that builds.
  command -v trunk >/dev/null || cargo install --locked trunk --version "^0.21"
  local want
  want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print }' Cargo.lock)
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
    cargo install wasm-bindgen-cli --version "=$want"
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

need_apt() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
  fi
}
