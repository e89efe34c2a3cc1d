#!/usr/bin/env bash
# Makes a private CA and one certificate per name, for TLS and mutual TLS
# between a coordinator and its nodes. Plain openssl, nothing else.
#
#   deploy/tls/make-certs.sh OUT_DIR NAME[=SAN,SAN...] ...
#
# Example: deploy/tls/make-certs.sh certs node-a=DNS:node-a.example.org,IP:10.0.0.5 coordinator
# Without SANs a certificate is valid for DNS:localhost and IP:127.0.0.1.
# Writes OUT_DIR/ca.crt, OUT_DIR/ca.key (keep it offline), OUT_DIR/NAME.crt and OUT_DIR/NAME.key.
set -euo pipefail
out=${1:?usage: make-certs.sh OUT_DIR NAME[=SANS] ...}
shift
[ $# -gt 0 ] || { echo "usage: make-certs.sh OUT_DIR NAME[=SANS] ..." >&2; exit 2; }
mkdir -p "$out"
umask 077
if [ ! -f "$out/ca.key" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 \
    -subj "/CN=biospec federation CA" -keyout "$out/ca.key" -out "$out/ca.crt" 2>/dev/null
fi
for spec in "$@"; do
  name=${spec%%=*}
  sans=DNS:localhost,IP:127.0.0.1
  [ "$spec" != "$name" ] && sans=${spec#*=}
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$name" \
    -keyout "$out/$name.key" -out "$out/$name.csr" 2>/dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n' "$sans" > "$out/$name.ext"
  openssl x509 -req -in "$out/$name.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial \
    -days 397 -extfile "$out/$name.ext" -out "$out/$name.crt" 2>/dev/null
  rm -f "$out/$name.csr" "$out/$name.ext"
  echo "$out/$name.crt ($sans)"
done
chmod 644 "$out"/*.crt
