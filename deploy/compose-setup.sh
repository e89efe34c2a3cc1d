#!/bin/sh
# One-shot setup for deploy/compose.yaml: creates the coordinator and three nodes in
# the shared /data volume, exchanges their public keys as files, imports synthetic
# catalogues and issues a researcher token. Does nothing if already done.
set -eu
B="node /app/packages/cli/dist/bin.js"
[ -f /data/coordinator/coordinator.json ] && { echo "already set up"; exit 0; }
$B coordinator init --dir /data/coordinator --grpc 0.0.0.0:50050 --http 0.0.0.0:8080
for spec in node-a:university-hospital node-b:cardiology-centre node-c:population-biobank; do
  id=${spec%%:*}; profile=${spec#*:}
  $B node init --dir /data/$id --id $id --name "Biobank $id" --listen 0.0.0.0:50051 \
    --coordinator-jwks /data/coordinator/coordinator.jwks.json
  $B generate --profile $profile --donors 4000 --seed $id --prefix $(echo $id | tr a-z A-Z) --out /data/$id/export.csv
  $B node import /data/$id/export.csv --dir /data/$id
  $B coordinator add-node --dir /data/coordinator --id $id --name "Biobank $id" --endpoint $id:50051 --jwks /data/$id/node.jwks.json
done
$B coordinator researcher add --dir /data/coordinator --subject demo@example.org > /data/researcher.token
echo "researcher token written to /data/researcher.token"
