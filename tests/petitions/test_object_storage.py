"""Citizens' photos on S3-compatible object storage (django-storages) when MEDIA_S3_BUCKET is configured.

moto's server stands in for the object store over real HTTP (the S3 API, signatures included).
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from django.test import Client
from moto.server import ThreadedMotoServer

from petitions.models import Attachment, private_storage
from tests.petitions.test_attachments import SESSION, _file_fields, stage


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint: str, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A fresh bucket, the settings MEDIA_S3_* would produce, and the photo fields using it."""
    name = f"petitions-{uuid.uuid4().hex[:12]}"
    credentials = {"aws_access_key_id": "test", "aws_secret_access_key": "test-secret"}
    s3 = boto3.resource("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **credentials)
    s3.create_bucket(Bucket=name)
    options = {
        "bucket_name": name,
        "endpoint_url": s3_endpoint,
        "region_name": "us-east-1",
        "access_key": "test",
        "secret_key": "test-secret",
        "default_acl": "private",
        "querystring_auth": True,
        "file_overwrite": False,
    }
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**options, "location": "private"},
        },
    }
    for field in _file_fields():  # the fields resolve their storage at start-up, as in production
        monkeypatch.setattr(field, "storage", private_storage())
    return s3.Bucket(name)


def keys(bucket: Any) -> set[str]:
    return {item.key for item in bucket.objects.all()}


def test_photos_are_stored_privately_in_the_bucket_and_streamed_to_their_citizen(bucket: Any, submit: Any):
    assert type(private_storage()).__name__ == "S3Storage"
    [photo] = stage(1)
    stored = keys(bucket)
    assert len(stored) == 2 and all(key.startswith("private/attachments/") for key in stored)
    for key in stored:  # private ACL: nobody else can read it from the bucket
        grants = bucket.Object(key).Acl().grants
        assert all("AllUsers" not in str(grant["Grantee"]) for grant in grants)

    result = submit(attachment_tokens=[photo.upload_token], session_key=SESSION)
    attachment = Attachment.objects.get(petition=result.petition)
    browser = Client()
    assert browser.get(f"/t/{result.token}/").status_code == 302  # the citizen's link
    response = browser.get(f"/track/{result.petition.tracking_code}/photos/{attachment.pk}/full/")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert body == bucket.Object(f"private/{attachment.image.name}").get()["Body"].read()
    assert body.startswith(b"\xff\xd8")  # a JPEG, re-encoded
    assert Client().get(
        f"/track/{result.petition.tracking_code}/photos/{attachment.pk}/full/"
    ).status_code in (
        403,
        404,
    )
