# SPDX-License-Identifier: GPL-2.0
# Shared settings of the audit-contid scripts; sourced, not run.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${AUDIT_CONTID_CACHE:-$REPO/.cache}
# The kernel tree: Debian's linux-source-6.12 unpacked into the cache, or
# the user's own 6.12.y tree.
KSRC=${KSRC:-$CACHE/linux-source-6.12}
# Out-of-tree build directory, kept between runs (with ccache) so that a
# change to one Rust file rebuilds in seconds.
KBUILD=${KBUILD:-$CACHE/build}
RUSTC=${RUSTC:-/usr/bin/rustc}
BINDGEN=${BINDGEN:-$HOME/.cargo/bin/bindgen}
# Every kernel build runs clippy on the Rust code (same toolchain as rustc).
CLIPPY_DRIVER=${CLIPPY_DRIVER:-/usr/bin/clippy-driver}
export RUST_LIB_SRC=${RUST_LIB_SRC:-/usr/lib/rustlib/src/rust/library}
JOBS=${JOBS:-$(($(nproc) + 1))}

die() { echo "error: $*" >&2; exit 1; }
say() { echo "==> $*" >&2; }

# KBUILD_LLVM=-16 builds with clang-16 and lld-16 (LLVM=-16) instead of
# gcc, and points bindgen at libclang 16 so that it takes clang-16's
# flags.  Host programs build without ccache: rustc links them with
# $HOSTCC, which must be one word.
kmake() {
	local compilers=(CC=/usr/lib/ccache/gcc HOSTCC=/usr/lib/ccache/gcc)
	if [[ -n ${KBUILD_LLVM:-} ]]; then
		compilers=(LLVM="$KBUILD_LLVM" CC="ccache clang$KBUILD_LLVM"
			HOSTCC="clang$KBUILD_LLVM")
		export LIBCLANG_PATH=/usr/lib/llvm${KBUILD_LLVM}/lib
	fi
	make -C "$KSRC" O="$KBUILD" "${compilers[@]}" \
		RUSTC="$RUSTC" BINDGEN="$BINDGEN" CLIPPY=1 CLIPPY_DRIVER="$CLIPPY_DRIVER" \
		-j"$JOBS" "$@"
}

# Every kernel build shares one ccache, so that a fresh clone builds warm.
# O= builds compile with absolute paths, which differ per clone: they are
# made relative to BASEDIR so that clones share cache hits.
use_kernel_ccache() { # use_kernel_ccache BASEDIR
	export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/audit-contid/ccache}
	export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$1} CCACHE_NOHASHDIR=1
	export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
}

# Configures $KBUILD from scratch: tinyconfig with FRAGMENTs merged, then
# the defaults of what they leave open.  Sets config_missing to the
# fragments' lines that did not stick (a symbol the tree lacks, or one
# whose dependencies are off), one per line.
configure_kernel() { # configure_kernel FRAGMENT...
	kmake tinyconfig >/dev/null
	KCONFIG_CONFIG=$KBUILD/.config "$KSRC/scripts/kconfig/merge_config.sh" \
		-m -O "$KBUILD" "$KBUILD/.config" "$@" >/dev/null
	kmake olddefconfig >/dev/null
	config_missing=$(grep -h '^CONFIG_' "$@" | while read -r line; do
		grep -qx "$line" "$KBUILD/.config" || echo "$line"
	done)
}
