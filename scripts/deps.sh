# Sourced by ./mtflow and scripts/test.sh: installs the Debian packages mtflow needs when they are
# missing, and says so. Set MTFLOW_NO_INSTALL=1 to only report what is missing.

mtflow_missing_packages() {
  local missing=()
  # PoCL: the OpenCL CPU driver; its ICD file is what the OpenCL loader reads.
  if [ ! -e /etc/OpenCL/vendors/pocl.icd ]; then missing+=(pocl-opencl-icd); fi
  if ! ldconfig -p 2>/dev/null | grep -q 'libOpenCL\.so\.1'; then missing+=(ocl-icd-libopencl1); fi
  if [ ! -e /usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz ]; then
    missing+=(dataset-fashion-mnist)
  fi
  echo "${missing[@]}"
}

mtflow_ensure_packages() {
  local missing
  missing=$(mtflow_missing_packages)
  [ -z "$missing" ] && return 0
  if [ -n "${MTFLOW_NO_INSTALL:-}" ]; then
    echo "mtflow: missing packages: $missing (install with: apt-get install -y $missing)" >&2
    return 0
  fi
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "mtflow: missing packages: $missing; install them with: sudo apt-get install -y $missing" >&2
    return 0
  fi
  echo "mtflow: installing missing packages: $missing" >&2
  # apt-get update only when the package lists are empty or the first try fails (fresh containers).
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >/dev/null \
      || { echo "mtflow: apt-get install $missing failed" >&2; return 1; }
  fi
  echo "mtflow: installed $missing" >&2
}

# scikit-learn's small CSV datasets (iris, wine, breast_cancer, digits) for the CSV loader's tests:
# taken from Debian's python3-sklearn .deb (2 MB) without installing it and its SciPy stack, into
# a cache directory; exports MTFLOW_SKLEARN_DATA. Where python3-sklearn is installed, uses its copy.
mtflow_ensure_sklearn_data() {
  local installed=/usr/lib/python3/dist-packages/sklearn/datasets/data
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/mtflow/sklearn-data"
  if [ -e "$installed/iris.csv" ]; then export MTFLOW_SKLEARN_DATA="$installed"; return 0; fi
  if [ -e "$cache/iris.csv" ]; then export MTFLOW_SKLEARN_DATA="$cache"; return 0; fi
  if [ -n "${MTFLOW_NO_INSTALL:-}" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "mtflow: scikit-learn's CSV datasets not found; the CSV loader's real-data test will be skipped" >&2
    return 0
  fi
  echo "mtflow: fetching scikit-learn's CSV datasets from Debian's python3-sklearn package into $cache" >&2
  local tmp
  tmp=$(mktemp -d) || return 0
  if (cd "$tmp" && { apt-get download python3-sklearn >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null 2>&1 && apt-get download python3-sklearn >/dev/null 2>&1; }; } \
      && dpkg-deb -x python3-sklearn_*.deb root); then
    mkdir -p "$cache" && cp "$tmp"/root/usr/lib/python3/dist-packages/sklearn/datasets/data/*.csv* "$cache"/ \
      && export MTFLOW_SKLEARN_DATA="$cache"
  else
    echo "mtflow: could not download python3-sklearn; the CSV loader's real-data test will be skipped" >&2
  fi
  rm -rf "$tmp"
}
