"""examples/ci/test_with_testcontainers.py - cbkit in a throwaway container per test session
with Testcontainers for Python (docs/ci.md). Needs `pip install testcontainers boto3` and a
container engine; CBKIT_IMAGE names the image (default ghcr.io/cbkit/cbkit:0.1.0, or one
built from cbkit's Dockerfile). Without a container engine, the pytest plugin
(python/pytest_cbkit) starts `cbkit mock` as a process instead.
"""
import json
import os
import time
import urllib.request

import boto3
import pytest
from testcontainers.core.container import DockerContainer

IMAGE = os.environ.get("CBKIT_IMAGE", "ghcr.io/cbkit/cbkit:0.1.0")
TOKEN = "testcontainers-token"


def wait_healthy(url, timeout=60):
    """GET /__cbkit/health answers {"status":"ok"} to anyone once the mock listens."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url + "/__cbkit/health", timeout=2) as r:
                if json.load(r).get("status") == "ok":
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError("cbkit at %s is not healthy after %d s" % (url, timeout))
        time.sleep(0.2)


@pytest.fixture(scope="session")
def cbkit_url():
    container = (DockerContainer(IMAGE)
                 .with_env("CBKIT_SEED", "7")
                 .with_env("CBKIT_ADMIN_TOKEN", TOKEN)
                 .with_exposed_ports(7766))
    with container:
        url = "http://%s:%s" % (container.get_container_host_ip(),
                                container.get_exposed_port(7766))
        wait_healthy(url)
        yield url


def admin(url, path):
    req = urllib.request.Request(url + "/__cbkit/" + path,
                                 headers={"X-Cbkit-Admin-Token": TOKEN})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def test_stop_build(cbkit_url):
    client = boto3.client("codebuild", endpoint_url=cbkit_url, region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")
    build = client.stop_build(id="my-app:1234")["build"]
    assert build["buildStatus"] == "STOPPED"
    journal = admin(cbkit_url, "requests")
    assert [e["operation"] for e in journal["requests"]] == ["StopBuild"]
    assert admin(cbkit_url, "violations")["total"] == 0
