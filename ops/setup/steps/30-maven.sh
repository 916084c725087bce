#!/usr/bin/env bash
# Kafka broker jars and the Apicurio schema registry, resolved from Maven
# Central with mvn and cached under $CONVEYOR_CACHE_DIR.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
cache="${CONVEYOR_CACHE_DIR:-$HOME/.cache/conveyor}"
kafka_version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/infra/kafka/pom.xml")
kafka_dir="$cache/kafka-$kafka_version"
if [ ! -f "$kafka_dir/.complete" ]; then
  echo "setup: resolving Apache Kafka $kafka_version from Maven Central (first time only)"
  rm -rf "$kafka_dir"; mkdir -p "$kafka_dir"
  mvn -B -f "$here/infra/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$kafka_dir/libs"
  touch "$kafka_dir/.complete"
fi
apicurio_version=$(cat "$here/infra/registry/apicurio.version")
reg_dir="$cache/apicurio-$apicurio_version"
if [ ! -f "$reg_dir/.complete" ]; then
  echo "setup: resolving Apicurio Registry $apicurio_version from Maven Central (first time only, ~110 MB)"
  rm -rf "$reg_dir"; mkdir -p "$reg_dir"
  mvn -f "$here/infra/kafka/pom.xml" dependency:copy \
    -Dartifact="io.apicurio:apicurio-registry-app:$apicurio_version:tar.gz:all" -DoutputDirectory="$reg_dir"
  tar -xzf "$reg_dir"/apicurio-registry-app-*.tar.gz -C "$reg_dir"
  rm -f "$reg_dir"/apicurio-registry-app-*.tar.gz
  touch "$reg_dir/.complete"
fi
