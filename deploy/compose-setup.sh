#!/bin/sh
# One-shot setup for deploy/compose.yaml: creates the coordinator and three nodes, each in its
# own volume (mounted side by side under /data here, at /var/lib/biospec in its service),
# exchanges their public keys as files, imports synthetic catalogues and issues a researcher
# token. Does nothing if already done.
set -eu
B="node /app/packages/cli/dist/bin.js"
[ -f /data/coordinator/coordinator.json ] && { echo "already set up"; exit 0; }
$B coordinator init --dir /data/coordinator --grpc 0.0.0.0:50050 --http 0.0.0.0:8080
for spec in node-a:university-hospital node-b:cardiology-centre node-c:population-biobank; do
  id=${spec%%:*}; profile=${spec#*:}
  $B node init --dir /data/$id --id $id --name "Biobank $id" --listen 0.0.0.0:50051 \
    --coordinator-jwks /data/coordinator/coordinator.jwks.json
  $B generate --profile $profile --donors 4000 --seed $id --prefix $(echo $id | tr a-z A-Z) --out /tmp/$id.csv
  $B node import /tmp/$id.csv --dir /data/$id
  $B coordinator add-node --dir /data/coordinator --id $id --name "Biobank $id" --endpoint $id:50051 --jwks /data/$id/node.jwks.json
done
$B coordinator researcher add --dir /data/coordinator --subject demo@example.org > /data/coordinator/researcher.token
# The services run as uid 10001; their folders stay 0700 and their files 0600.
chown -R 10001:10001 /data/coordinator /data/node-a /data/node-b /data/node-c
echo "researcher token written to researcher.token in the coordinator's volume"
