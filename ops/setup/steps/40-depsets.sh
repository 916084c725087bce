#!/usr/bin/env bash
# Dependency sets for runtimes/: installed once per machine under
# $CONVEYOR_CACHE_DIR/depsets/<name>, read-only to sandboxes, each finished
# with a .complete marker so a second run costs a few stat() calls.
set -euo pipefail
cache="${CONVEYOR_CACHE_DIR:-$HOME/.cache/conveyor}"
depsets="$cache/depsets"
mkdir -p "$depsets"
chmod 755 "$cache" "$depsets"

# python-3.11-sci: numpy + pandas in a venv on the system Python 3.11.
sci="$depsets/python-3.11-sci"
sci_want="numpy==1.26.4 pandas==2.2.3"
if [ ! -f "$sci/.complete" ] || [ "$(cat "$sci/.complete")" != "$sci_want" ]; then
  echo "setup: building dependency set python-3.11-sci ($sci_want), first time only"
  rm -rf "$sci"; mkdir -p "$sci"
  /usr/bin/python3 -m venv "$sci/venv"
  "$sci/venv/bin/python3" -m pip install -q --disable-pip-version-check --cache-dir "$cache/pip" $sci_want
  "$sci/venv/bin/python3" -c 'import numpy, pandas' 
  "$sci/venv/bin/python3" -m compileall -q "$sci/venv" >/dev/null || true
  chmod -R a+rX "$sci"
  echo "$sci_want" > "$sci/.complete"
fi

# java-17-std: a class data archive of what javac loads to compile a program,
# so each sandboxed javac maps those classes instead of loading and verifying
# them again (~35% of a hello world's compile). Keyed by the exact JDK build:
# an archive from another build would be refused (silently, -Xshare:auto).
jdk=/usr/lib/jvm/java-17-openjdk-amd64
javastd="$depsets/java-17-std"
if [ -x "$jdk/bin/javac" ]; then
  java_build=$("$jdk/bin/java" -version 2>&1 | sed -n 2p)
  if [ ! -f "$javastd/.complete" ] || [ "$(cat "$javastd/.complete")" != "$java_build" ]; then
    echo "setup: building dependency set java-17-std (class data archive for javac), first time only"
    rm -rf "$javastd"; mkdir -p "$javastd"
    tmp=$(mktemp -d)
    printf 'import java.util.*;\npublic class Main { public static void main(String[] a) { List<String> l = new ArrayList<>(Arrays.asList(a)); System.out.println(l.size()); } }\n' > "$tmp/Main.java"
    "$jdk/bin/javac" -J-XX:+UseSerialGC -J-XX:TieredStopAtLevel=1 -J-Xshare:auto -J-Xss4m \
      -J-XX:ArchiveClassesAtExit="$javastd/javac.jsa" -encoding UTF-8 -d "$tmp/out" "$tmp/Main.java" 2>/dev/null
    rm -rf "$tmp"
    chmod -R a+rX "$javastd"
    echo "$java_build" > "$javastd/.complete"
  fi
else
  mkdir -p "$javastd"
fi

# go-std: the standard library compiled once into a private GOCACHE, plus an
# importcfg, so a sandboxed compile calls `go tool compile/link` directly and
# never needs a writable build cache.
gostd="$depsets/go-std"
go_version=$(/usr/local/go/bin/go env GOVERSION)
if [ ! -f "$gostd/.complete" ] || [ "$(cat "$gostd/.complete")" != "$go_version" ]; then
  echo "setup: building dependency set go-std ($go_version), first time only"
  rm -rf "$gostd"; mkdir -p "$gostd"
  export GOCACHE="$gostd/gocache" GOFLAGS=-trimpath CGO_ENABLED=0 GOTOOLCHAIN=local
  /usr/local/go/bin/go list -export -f '{{if .Export}}packagefile {{.ImportPath}}={{.Export}}{{end}}' -deps std \
    | sed "s#=$gostd/#=/deps/#" > "$gostd/importcfg"
  chmod -R a+rX "$gostd"
  echo "$go_version" > "$gostd/.complete"
fi
tooldir=$(/usr/local/go/bin/go env GOTOOLDIR)
golang=$(echo "$go_version" | sed -E 's/^go([0-9]+\.[0-9]+).*/go\1/')
build_sh=$(cat <<SH
#!/bin/sh
# Compiles package main with the prebuilt standard library: build.sh OUT [FLAGS] -- FILES
out=\$1; shift; flags=""
while [ \$# -gt 0 ] && [ "\$1" != "--" ]; do flags="\$flags \$1"; shift; done; shift
$tooldir/compile -p main -complete -lang=$golang -importcfg /deps/importcfg -trimpath=/work -o /tmp/main.a -pack \$flags "\$@" || exit 1
exec $tooldir/link -importcfg /deps/importcfg -buildmode=exe -s -w -o "\$out" /tmp/main.a
SH
)
if [ "$(cat "$gostd/build.sh" 2>/dev/null)" != "$build_sh" ]; then
  printf '%s\n' "$build_sh" > "$gostd/build.sh"; chmod 755 "$gostd/build.sh"
fi
