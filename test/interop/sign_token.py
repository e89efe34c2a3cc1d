"""Signs a compact JWS with jwcrypto, an implementation independent of ours, to test what our verifiers accept.

Usage: /usr/bin/python3 sign_token.py REQUEST.json
REQUEST: {"jwk": private Ed25519 JWK, "header": protected header, "claims": payload object,
          "extensions": [header names to declare understood, so jwcrypto lets them be critical]}
Prints the compact token.
"""
import json
import sys

from jwcrypto import jwk, jws
from jwcrypto.common import JWSEHeaderParameter, json_encode


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        request = json.load(f)
    registry = {name: JWSEHeaderParameter(name, False, True, None) for name in request.get("extensions", [])}
    token = jws.JWS(json_encode(request["claims"]).encode("utf-8"), header_registry=registry)
    token.add_signature(jwk.JWK(**request["jwk"]), alg="EdDSA", protected=json_encode(request["header"]))
    print(token.serialize(compact=True))


if __name__ == "__main__":
    main()
