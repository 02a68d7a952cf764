"""A real S3-protocol server on loopback for the tests: moto's server mode (an HTTP endpoint that
boto3 and any other process talk to as to S3), never an in-process mock."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# Any values do: the server accepts every key. Set in the environment of the processes that use
# the store (boto3's standard variables), and passed to the clients the tests make themselves.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "cobrand-test",
    "AWS_SECRET_ACCESS_KEY": "cobrand-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


# The server runs in a process of its own: it keeps the objects in its memory, which must not
# count as the memory of the code under test (tests/prm_domain/test_storage.py measures it).
_SERVE = """
import sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()  # until the test closes our stdin (or dies)
server.stop()
"""


@contextmanager
def s3_server() -> Iterator[str]:
    """Start the server on a free loopback port; yield its endpoint URL."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        port = int(proc.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        if proc.stdin:
            proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()


def client(endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )


def new_bucket(endpoint: str) -> str:
    name = f"cobrand-{uuid.uuid4().hex[:16]}"
    client(endpoint).create_bucket(Bucket=name)
    return name


def object_names(endpoint: str, bucket: str) -> list[str]:
    listing = client(endpoint).list_objects_v2(Bucket=bucket)
    return [o["Key"] for o in listing.get("Contents", [])]
