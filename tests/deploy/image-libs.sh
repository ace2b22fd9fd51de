#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# image-libs.sh BINARY DOCKERFILE: does the Dockerfile's runtime stage (the
# one FROM debian:bookworm-slim) install every shared library BINARY loads?
# A library counts when its Debian package is one the stage installs or one
# they depend on, by apt's own dependency closure (this machine's package
# lists). Prints what is missing; exit 0 when nothing is.
set -eu
bin=$1 dockerfile=$2
# the words after "apt-get install ... --no-install-recommends", up to "&&"
pkgs=$(sed -n '/^FROM debian:bookworm-slim/,$p' "$dockerfile" | tr -s ' \\\n' '   ' |
	sed -n 's/.*apt-get install [^&]*--no-install-recommends \([^&]*\)&&.*/\1/p')
[ -n "$pkgs" ] || { echo "no packages found in the runtime stage of $dockerfile"; exit 1; }
# shellcheck disable=SC2086
have=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
	--no-replaces --no-enhances $pkgs | grep -v '^ ' | sort -u)
missing=
for lib in $(ldd "$bin" | awk '/=> \// {print $3}'); do
	p=$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib")
	p=${p%%:*}
	echo "$have" | grep -qx "$p" || missing="$missing $lib ($p)"
done
[ -z "$missing" ] || { echo "not in the runtime image:$missing"; exit 1; }
echo "all $(ldd "$bin" | grep -c '=> /') libraries come with: $(echo $pkgs)"
