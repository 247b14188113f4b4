#!/bin/sh
# Builds a stack once: run under `flock` by stack.ts, so concurrent cells and tests wait for one build.
# The build goes to a temporary directory renamed into place, so a stack directory is always complete.
#
# usage: build-stack.sh FINAL_DIR STACK_JSON MMDEBSTRAP_ARG... (the target is FINAL_DIR.tmp/rootfs)
set -eu
final=$1 stack_json=$2
shift 2
[ -f "$final/stack.json" ] && exit 0
tmp=$final.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
mmdebstrap --quiet "$@"
printf '%s\n' "$stack_json" >"$tmp/stack.json"
chmod 0755 "$tmp" "$tmp/rootfs"
mv "$tmp" "$final"
