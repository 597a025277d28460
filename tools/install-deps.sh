#!/usr/bin/env bash
# Installs every Debian package the build, the tests and the benchmarks need.
# Idempotent: when everything is present it only checks (no apt-get update, no network).
#
# libphonenumber: Debian 12's libphonenumber-dev cannot be installed here, because it depends
# on libboost-thread1.74-dev, which conflicts with libboost1.81-dev. The library itself needs
# no Boost, so this script installs its runtime package (libphonenumber8) and the headers its
# headers include (libprotobuf-dev, libabsl-dev) with apt-get, and unpacks the headers of
# libphonenumber-dev of the same version, without installing it, into
# $CDP_DEPS_DIR/libphonenumber (default /opt/cdp-deps, CMake's CDP_DEPS_DIR).
set -euo pipefail

packages=(
  cmake ninja-build g++ clang libclang-rt-14-dev clang-format clang-tidy
  pkg-config curl ca-certificates
  librocksdb-dev libboost1.81-dev libsimdjson-dev libxxhash-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  zlib1g-dev libssl-dev libicu-dev libabsl-dev
  libphonenumber8 libprotobuf-dev
)
deps_dir="${CDP_DEPS_DIR:-/opt/cdp-deps}"
phonenumber_dir="${deps_dir}/libphonenumber"

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

updated=0
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  echo "install-deps: installing ${#missing[@]} missing packages: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  updated=1
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The libphonenumber headers must match the installed library's version exactly.
version="$(dpkg-query -W -f='${Version}' libphonenumber8)"
stamp="${phonenumber_dir}/VERSION"
if [ -f "${phonenumber_dir}/usr/include/phonenumbers/phonenumberutil.h" ] &&
   [ "$(cat "${stamp}" 2>/dev/null)" = "${version}" ]; then
  echo "install-deps: libphonenumber ${version} headers present in ${phonenumber_dir}"
  exit 0
fi

echo "install-deps: unpacking libphonenumber-dev ${version} headers into ${phonenumber_dir}"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
# apt's download sandbox user must be able to write the download directory.
if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then chown _apt "${work}"; fi
download() { (cd "${work}" && apt-get download -qq "libphonenumber-dev=${version}"); }
if ! download; then
  if [ "${updated}" -eq 1 ]; then exit 1; fi
  "${sudo_cmd[@]}" apt-get update -qq
  download
fi
mkdir "${work}/tree"
dpkg-deb -x "${work}"/libphonenumber-dev_*.deb "${work}/tree"
# Only the headers (and the licence) are used; the library comes from libphonenumber8.
rm -rf "${work}/tree/usr/lib"
echo "${version}" >"${work}/tree/VERSION"
"${sudo_cmd[@]}" mkdir -p "${deps_dir}"
"${sudo_cmd[@]}" rm -rf "${phonenumber_dir}.new" "${phonenumber_dir}"
"${sudo_cmd[@]}" cp -R "${work}/tree" "${phonenumber_dir}.new"
"${sudo_cmd[@]}" mv "${phonenumber_dir}.new" "${phonenumber_dir}"
echo "install-deps: done"
