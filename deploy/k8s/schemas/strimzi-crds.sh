#!/usr/bin/env bash
# Write Strimzi's CRDs (kafka.strimzi.io/v1) for the kinds the manifests use into crds/, from the
# release's jars on Maven Central (pom.xml): its API classes through its own CRD generator, the
# way Strimzi builds the CRDs it ships. Needs Maven and Java 21 or newer (the generator's target).
set -euo pipefail
cd "$(dirname "$0")"
java=""
for candidate in "${JAVA_HOME:-/nonexistent}/bin/java" "$(command -v java || true)" /usr/lib/jvm/*/bin/java; do
  [ -x "$candidate" ] || continue
  version=$("$candidate" -XshowSettings:properties -version 2>&1 \
    | awk -F'= ' '/java.specification.version/ {print $2}')
  if [ "${version%%.*}" -ge 21 ] 2>/dev/null; then java=$candidate; break; fi
done
if [ -z "$java" ]; then
  echo "error: Strimzi's CRD generator needs Java 21 or newer; install one (e.g. the Debian" \
    "package openjdk-21-jre-headless or openjdk-25-jre-headless) or set JAVA_HOME" >&2
  exit 1
fi
command -v mvn >/dev/null || { echo "error: Maven (mvn) is needed to fetch Strimzi's jars" >&2; exit 1; }
mvn -q -B dependency:copy-dependencies -DoutputDirectory=lib -DincludeScope=runtime
rm -rf crds && mkdir crds
model=io.strimzi.api.kafka.model
"$java" -cp 'lib/*' io.strimzi.crdgenerator.CrdGenerator --yaml \
  --crd-api-version v1 --api-versions v1 --storage-version v1 \
  "$model.kafka.Kafka=crds/kafka.yaml" \
  "$model.nodepool.KafkaNodePool=crds/kafkanodepool.yaml" \
  "$model.topic.KafkaTopic=crds/kafkatopic.yaml" \
  "$model.user.KafkaUser=crds/kafkauser.yaml"
touch crds/.generated
