#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Put the output of the last `make bench` into README.md: the host part
# ($BUILD/bench.txt) between the "bench:host" markers, the tier part
# ($BUILD/bench-tiers.txt) between the "bench:tiers" markers. Every figure the
# README gives for the bench is in those two blocks; its prose cites them.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
readme=$ROOT/README.md

put() { # marker, file
	[ -s "$2" ] || { echo "$2: no output of make bench to put in README.md" >&2; exit 1; }
	grep -q "^<!-- $1 -->\$" "$readme" && grep -q "^<!-- /$1 -->\$" "$readme" ||
		{ echo "README.md: no <!-- $1 --> ... <!-- /$1 --> block" >&2; exit 1; }
	awk -v m="$1" -v f="$2" '
		$0 == "<!-- " m " -->" { print; print "```"; while ((getline l < f) > 0) print l; print "```"; skip = 1; next }
		$0 == "<!-- /" m " -->" { skip = 0 }
		!skip' "$readme" > "$readme.new"
	mv "$readme.new" "$readme"
}
put bench:host "$BUILD/bench.txt"
put bench:tiers "$BUILD/bench-tiers.txt"
echo "README.md: bench blocks from $BUILD/bench.txt and $BUILD/bench-tiers.txt"
