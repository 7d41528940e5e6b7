"""The local S3 server refuses what S3 refuses, so the site's tests mean something: moto alone
serves expired and tampered presigned URLs (bench/s3server.py)."""

from __future__ import annotations

import time
import uuid

import boto3
import pytest
from botocore.config import Config

from .conftest import fetch, tampered, unsigned


@pytest.fixture
def bucket(s3_server):
    name = f"gate-{uuid.uuid4().hex[:12]}"
    s3_server.create_buckets(name)
    return name


def client(s3_server, *, secret: str | None = None, version: str = "s3v4"):
    return boto3.client(
        "s3",
        endpoint_url=s3_server.endpoint_url,
        region_name=s3_server.region,
        aws_access_key_id=s3_server.access_key_id,
        aws_secret_access_key=secret or s3_server.secret_access_key,
        config=Config(signature_version=version),
    )


def presign(s3, bucket: str, key: str, expires: int = 60) -> str:
    return s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires
    )


def test_a_genuine_presigned_url_is_served_and_header_signed_calls_reach_moto(s3_server, bucket):
    s3 = client(s3_server)
    s3.put_object(Bucket=bucket, Key="dir/名 字.txt", Body=b"hello")
    assert fetch(presign(s3, bucket, "dir/名 字.txt")).body == b"hello"
    assert s3.get_object(Bucket=bucket, Key="dir/名 字.txt")["Body"].read() == b"hello"


def test_unsigned_tampered_expired_and_wrongly_keyed_urls_are_refused(s3_server, bucket):
    s3 = client(s3_server)
    s3.put_object(Bucket=bucket, Key="a.txt", Body=b"secret")
    url = presign(s3, bucket, "a.txt")
    assert fetch(unsigned(url)).status == 403
    assert b"SignatureDoesNotMatch" in fetch(tampered(url)).body
    other_object = url.replace("/a.txt?", "/b.txt?")
    assert b"SignatureDoesNotMatch" in fetch(other_object).body
    forged = presign(client(s3_server, secret="not-the-secret"), bucket, "a.txt")
    assert b"SignatureDoesNotMatch" in fetch(forged).body
    sigv2 = presign(client(s3_server, version="s3"), bucket, "a.txt")
    assert "Signature=" in sigv2 and fetch(sigv2).status == 403
    short = presign(s3, bucket, "a.txt", expires=1)
    time.sleep(2.1)
    expired = fetch(short)
    assert expired.status == 403 and b"Request has expired" in expired.body
    assert expired.headers["content-type"] == "application/xml"
