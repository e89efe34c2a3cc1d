"""Calls a biospec node's Count with python3-grpcio, an implementation independent of ours.

Usage: /usr/bin/python3 call_node.py STUBS_DIR HOST:PORT SIGNED_QUERY
Prints {"code": "<grpc status name>", "details": "..."} (code OK on success).
"""
import json
import sys

sys.path.insert(0, sys.argv[1])

import grpc  # noqa: E402
from biospecimen.v1 import node_pb2, node_pb2_grpc  # noqa: E402


def main():
    with grpc.insecure_channel(sys.argv[2]) as channel:
        stub = node_pb2_grpc.NodeServiceStub(channel)
        try:
            response = stub.Count(node_pb2.CountRequest(signed_query=sys.argv[3]), timeout=5)
            print(json.dumps({"code": "OK", "details": "", "signed_result": response.signed_result}))
        except grpc.RpcError as err:
            print(json.dumps({"code": err.code().name, "details": err.details()}))


if __name__ == "__main__":
    main()
