"""Verifies a biospec result bundle with jwcrypto, an implementation independent of ours.

Usage: /usr/bin/python3 verify_bundle.py BUNDLE.json
Prints one JSON object per site: {"node_id", "verified", "reason"?, "query_hash"?}.
"""
import json
import sys

from jwcrypto import jwk, jws


def verify_site(site, bundle):
    token = site.get("signed_result")
    if not token:
        return {"node_id": site["node_id"], "verified": False, "reason": "no signed answer"}
    keys = bundle["jwks"].get(site["node_id"], {}).get("keys", [])
    signed = jws.JWS()
    signed.deserialize(token)
    header = signed.jose_header
    if header.get("alg") != "EdDSA":
        return {"node_id": site["node_id"], "verified": False, "reason": "algorithm not EdDSA"}
    matching = [k for k in keys if k.get("kid") == header.get("kid")]
    if not matching:
        return {"node_id": site["node_id"], "verified": False, "reason": "unknown key id"}
    try:
        signed.verify(jwk.JWK(**matching[0]), alg="EdDSA")
    except jws.InvalidJWSSignature:
        return {"node_id": site["node_id"], "verified": False, "reason": "signature does not verify"}
    payload = json.loads(signed.payload)
    if payload.get("queryHash") != bundle["query_hash"]:
        return {"node_id": site["node_id"], "verified": False, "reason": "query hash does not match"}
    if payload.get("nodeId") != site["node_id"]:
        return {"node_id": site["node_id"], "verified": False, "reason": "answer from another node"}
    return {"node_id": site["node_id"], "verified": True, "query_hash": payload["queryHash"], "total": payload.get("total")}


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        bundle = json.load(f)
    for site in bundle["sites"]:
        print(json.dumps(verify_site(site, bundle)))


if __name__ == "__main__":
    main()
