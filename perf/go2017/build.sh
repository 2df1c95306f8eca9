#!/bin/sh
# Builds perf/go2017's server and client against the rpc package of zrepl commit 6ab05ee into
# artifacts/go2017/. Nothing of zrepl is kept in this repository: the package is extracted from a
# zrepl git repository at build time, with github.com/pkg/errors v0.8.0 (its only dependency).
#
#   perf/go2017/build.sh [ZREPL_GIT [PKG_ERRORS_GIT]]
#
# ZREPL_GIT: a clone of https://github.com/zrepl/zrepl (default $ZREPL_GIT, then
# /work/.mirror/zrepl+zrepl/repo); PKG_ERRORS_GIT: a clone of https://github.com/pkg/errors
# (default $PKG_ERRORS_GIT, then /work/.mirror/pkg+errors/repo). Needs Go (apt-get install golang-go).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
zrepl=${1:-${ZREPL_GIT:-/work/.mirror/zrepl+zrepl/repo}}
errors=${2:-${PKG_ERRORS_GIT:-/work/.mirror/pkg+errors/repo}}
out=$root/artifacts/go2017
gopath=$out/gopath

command -v go >/dev/null || { echo "build.sh: go not found (apt-get install golang-go)" >&2; exit 1; }
for repo in "$zrepl" "$errors"; do
    git -C "$repo" rev-parse --git-dir >/dev/null 2>&1 || { echo "build.sh: $repo is not a git repository" >&2; exit 1; }
done

# Only artifacts/go2017/gopath is rebuilt; it is made here and nowhere else.
rm -rf "$gopath"
mkdir -p "$gopath/src/github.com/zrepl/zrepl" "$gopath/src/github.com/pkg/errors" "$gopath/src/zrpcbench"
git -C "$zrepl" archive 6ab05ee rpc | tar -x -C "$gopath/src/github.com/zrepl/zrepl"
git -C "$errors" archive v0.8.0 | tar -x -C "$gopath/src/github.com/pkg/errors"
cp -R "$here/server" "$here/client" "$here/transport" "$gopath/src/zrpcbench/"

cd "$gopath/src/zrpcbench"
export GOPATH="$gopath" GO111MODULE=off GOFLAGS=
go build -o "$out/server" ./server
go build -o "$out/client" ./client
echo "built $out/server and $out/client (zrepl rpc at 6ab05ee, $(go version))"
