#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Build the agent's image from deploy/container/Dockerfile where no container
# engine runs (as on the development machines), from Debian's repositories
# alone. Each `FROM debian:SUITE[-slim]` stage starts from a minbase tree
# made by mmdebstrap (-slim: without documentation, as Debian's slim images);
# RUN runs `/bin/sh -c` in a chroot of it, in a private mount namespace with
# /proc, /dev and the host's resolv.conf; WORKDIR and COPY (from the build
# context less .dockerignore, or `--from` an earlier stage) do what
# `docker build` does with them; the last stage becomes an OCI image (umoci)
# with the Dockerfile's ENTRYPOINT and CMD. Any other instruction is refused,
# so the Dockerfile cannot grow into something this builder would build
# differently.
#
#   build.sh [-o OUT] [-t TAG]
#
# OUT (default build/image) receives oci/ (an OCI image layout, image
# fnguard:TAG), fnguard-TAG.oci.tar (the same as one archive, for
# `skopeo copy oci-archive:...` or `ctr image import`) and rootfs/ (the
# image's tree, for a look or a chroot).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DOCKERFILE=$ROOT/deploy/container/Dockerfile
MIRROR=${FNG_DEBIAN_MIRROR:-http://deb.debian.org/debian}
OUT=$ROOT/build/image
TAG=dev
while getopts o:t: c; do
	case $c in
	o) OUT=$OPTARG ;;
	t) TAG=$OPTARG ;;
	*) echo "usage: $0 [-o OUT] [-t TAG]" >&2; exit 2 ;;
	esac
done
for tool in mmdebstrap umoci unshare; do
	command -v $tool >/dev/null || { echo "$0: $tool is missing (make deps installs it)" >&2; exit 1; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fnguard-image.XXXXXX")
# (mounts made for RUN live in a private mount namespace: none is left under $WORK)
trap 'rm -rf --one-file-system "$WORK"' EXIT
declare -A stage_of # stage name -> its tree
n=0 dir= workdir=/ lineno=0 entrypoint= cmd=

die() {
	echo "$DOCKERFILE:$lineno: $*" >&2
	exit 1
}

# ["a", "b"] -> one word per line; only the JSON array form, without escapes
json_words() {
	[[ $1 =~ ^\[\ *(\"[^\"\\]*\"\ *(,\ *\"[^\"\\]*\"\ *)*)?\]$ ]] ||
		die "expected a JSON array of strings, such as [\"/usr/bin/fnguard\"]"
	grep -o '"[^"]*"' <<<"$1" | tr -d '"'
}

# run COMMAND in the current stage, as RUN does
run_in_stage() {
	FNG_RUN=$1 unshare --mount --propagation private /bin/sh -ec '
		mount -t proc proc "$1/proc"
		mount --rbind /dev "$1/dev"
		cp -L /etc/resolv.conf "$1/etc/resolv.conf"
		exec chroot "$1" /bin/sh -c "cd \"\$0\" && eval \"\$FNG_RUN\"" "$2"' _ "$dir" "$workdir"
}

copy() { # [--from=STAGE] SRC DEST
	local from= src dest base
	if [[ $1 == --from=* ]]; then
		from=${1#--from=}
		shift
		[ -n "${stage_of[$from]:-}" ] || die "COPY --from=$from: no such stage"
	fi
	[ $# -eq 2 ] || die "COPY takes one source and one destination here"
	src=$1 dest=$2
	[[ $dest == /* ]] || dest=$workdir/$dest
	dest=$dir$dest
	if [ -n "$from" ]; then
		base=${stage_of[$from]}$src
		[ -e "$base" ] || die "COPY --from=$from $src: not in that stage"
		if [ -d "$base" ]; then
			mkdir -p "$dest" && cp -a "$base/." "$dest/"
		else
			mkdir -p "$(dirname "$dest")" && cp -a "$base" "$dest"
		fi
		return
	fi
	[ "$src" = . ] || die "COPY from the context: only '.' (the whole context) is supported"
	mkdir -p "$dest"
	# .dockerignore: one path from the top of the context per line
	tar -C "$ROOT" $(sed -n 's|^/*\([^#][^ ]*\)$|--exclude=./\1|p' "$ROOT/.dockerignore") \
		-cf - . | tar -C "$dest" -xf -
}

while IFS= read -r line; do
	lineno=${line%%:*}
	line=${line#*:}
	instr=${line%% *}
	args=${line#"$instr"}
	args=${args# }
	case ${instr^^} in
	FROM)
		read -r image as name rest <<<"$args"
		[ -z "$rest" ] && { [ -z "$as" ] || [ "${as^^}" = AS ]; } || die "FROM IMAGE [AS NAME]"
		[[ $image == debian:* ]] || die "FROM $image: only debian:SUITE[-slim] images"
		suite=${image#debian:}
		slim=()
		if [[ $suite == *-slim ]]; then
			suite=${suite%-slim}
			slim=(--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
				--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*'
				--dpkgopt='path-exclude=/usr/share/locale/*')
		fi
		n=$((n + 1))
		dir=$WORK/stage$n
		workdir=/
		echo "== stage $n: $image (mmdebstrap --variant=minbase $suite)"
		# apt keeps no .debs and no caches, as in Debian's own images (docker-clean)
		mmdebstrap --quiet --variant=minbase "${slim[@]}" \
			--aptopt='DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; }' \
			--aptopt='Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache ""' \
			"$suite" "$dir" "$MIRROR" ||
			die "mmdebstrap $suite failed"
		[ -z "$name" ] || stage_of[$name]=$dir
		;;
	RUN)
		[ -n "$dir" ] || die "RUN before FROM"
		echo "== RUN $args"
		run_in_stage "$args" || die "RUN failed"
		;;
	WORKDIR)
		[[ $args == /* ]] || args=$workdir/$args
		workdir=$args
		mkdir -p "$dir$workdir"
		;;
	COPY)
		echo "== COPY $args"
		# shellcheck disable=SC2086
		copy $args
		;;
	ENTRYPOINT) entrypoint=$(json_words "$args") ;;
	CMD) cmd=$(json_words "$args") ;;
	*) die "$instr: not an instruction this builder knows (FROM, RUN, WORKDIR, COPY, ENTRYPOINT, CMD)" ;;
	esac
done < <(awk '
	/^[[:space:]]*#/ || /^[[:space:]]*$/ { next }
	{ if (buf == "") start = NR
	  if (sub(/\\[[:space:]]*$/, "")) { buf = buf $0 " "; next }
	  line = buf $0; buf = ""
	  gsub(/[[:space:]]+/, " ", line); sub(/^ /, "", line)
	  print start ":" line }' "$DOCKERFILE")
[ -n "$dir" ] || die "no FROM"

echo "== OCI image fnguard:$TAG in $OUT"
rm -rf "$OUT"
mkdir -p "$OUT"
umoci init --layout "$OUT/oci"
umoci new --image "$OUT/oci:$TAG"
umoci unpack --image "$OUT/oci:$TAG" "$WORK/bundle" >/dev/null
cp -a "$dir/." "$WORK/bundle/rootfs/"
rm -f "$WORK/bundle/rootfs/etc/resolv.conf"
umoci repack --image "$OUT/oci:$TAG" "$WORK/bundle"
config=(--config.workingdir "$workdir" --os linux --architecture amd64
	--config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	--config.label org.opencontainers.image.title=fnguard
	--config.label org.opencontainers.image.version="$TAG")
while IFS= read -r w; do [ -n "$w" ] && config+=(--config.entrypoint "$w"); done <<<"$entrypoint"
while IFS= read -r w; do [ -n "$w" ] && config+=(--config.cmd "$w"); done <<<"$cmd"
umoci config --image "$OUT/oci:$TAG" "${config[@]}"
umoci gc --layout "$OUT/oci"
tar -C "$OUT/oci" -cf "$OUT/fnguard-$TAG.oci.tar" .
mv "$WORK/bundle/rootfs" "$OUT/rootfs"
echo "== built: $OUT/oci (fnguard:$TAG), $OUT/fnguard-$TAG.oci.tar, $(du -sh "$OUT/rootfs" | cut -f1) unpacked"
