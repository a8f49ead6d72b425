"""Medias and bundles through real HTTP."""

from __future__ import annotations

import io
import json
import zipfile

from taskade_async.testing import FakeTaskade

from .conftest import Api


async def test_upload_get_download_delete(api: Api, taskade_fake: FakeTaskade) -> None:
    """An uploaded raw body comes back byte for byte with its type and file name."""
    ws = taskade_fake.add_workspace("Acme")
    content = bytes(range(256)) * 10
    body = await api.ok(
        "POST",
        f"/medias/spaces/{ws.id}/upload",
        params={"filename": "photo été.png"},
        data=content,
        headers={"Content-Type": "image/png"},
    )
    item = body["item"]
    assert set(item) == {"mediaId", "fileId", "kind", "downloadUrl"}
    assert item["kind"] == "image"
    media_id = item["mediaId"]
    assert (await api.ok("GET", f"/medias/{media_id}"))["item"] == {
        "id": media_id,
        "space_id": ws.id,
        "kind": "image",
    }
    reply = await api.call("GET", f"/medias/{media_id}/download")
    assert reply.status == 200
    assert reply.raw == content
    assert reply.headers["Content-Type"] == "image/png"
    disposition = reply.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''photo%20%C3%A9t%C3%A9.png" in disposition
    assert item["downloadUrl"] == f"{taskade_fake.base_url}/medias/{media_id}/download"
    assert await api.ok("DELETE", f"/medias/{media_id}") == {"ok": True}
    await api.error("GET", f"/medias/{media_id}", 404)
    await api.error("GET", f"/medias/{media_id}/download", 404)


async def test_upload_rules(api: Api, taskade_fake: FakeTaskade) -> None:
    """Upload needs a filename and a non-empty body; the type is guessed when not sent."""
    ws = taskade_fake.add_workspace("Acme")
    path = f"/medias/spaces/{ws.id}/upload"
    await api.error("POST", path, 400, data=b"x")
    await api.error("POST", path, 400, params={"filename": "a.txt"}, data=b"")
    await api.error("POST", "/medias/spaces/none/upload", 404, params={"filename": "a"}, data=b"x")
    body = await api.ok("POST", path, params={"filename": "notes.txt"}, data=b"hello")
    assert body["item"]["kind"] == "document"
    assert taskade_fake.medias[-1].content_type == "text/plain"


async def test_medias_list_and_download_all(api: Api, taskade_fake: FakeTaskade) -> None:
    """mediasGet pages a folder's medias; mediaDownloadAll zips them all."""
    ws = taskade_fake.add_workspace("Acme")
    folder = taskade_fake.add_folder(ws, "Eng")
    a = taskade_fake.add_media(folder, "a.txt", b"A")
    b = taskade_fake.add_media(folder, "a.txt", b"B")
    taskade_fake.add_media(ws, "elsewhere.txt", b"C")
    page = await api.ok("GET", f"/folders/{folder.id}/medias", params={"limit": "1", "page": "2"})
    assert page["items"] == [{"id": b.id, "space_id": folder.id, "kind": "document"}]
    reply = await api.call("GET", f"/medias/spaces/{folder.id}/download")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(reply.raw)) as archive:
        assert {n: archive.read(n) for n in archive.namelist()} == {
            "a.txt": b"A",
            "a (2).txt": b"B",
        }
    assert a.id != b.id


async def test_bundle_json_round_trip(api: Api, taskade_fake: FakeTaskade) -> None:
    """A JSON bundle export imports into another workspace with the same content."""
    source = taskade_fake.add_workspace("Source")
    target = taskade_fake.add_workspace("Target")
    taskade_fake.add_project(source, "Plan", tasks=[("A", ["A1"]), "B"])
    taskade_fake.add_agent(source, "Helper")
    taskade_fake.add_template(source, "Tpl", ["x"])
    taskade_fake.add_media(source, "a.bin", b"\x00\x01")
    exported = (await api.ok("GET", f"/bundles/{source.id}/export"))["item"]
    assert exported["version"] == "1"
    assert sorted(i["type"] for i in exported["items"].values()) == [
        "space-bundle-agent-item",
        "space-bundle-media-item",
        "space-bundle-project-item",
        "space-bundle-template-item",
    ]
    body = await api.ok("POST", f"/bundles/{target.id}/import", json={"bundleData": exported})
    item = body["item"]
    assert {k: v for k, v in item.items() if k != "id"} == {
        "projectCount": 1,
        "flowCount": 0,
        "agentCount": 1,
        "templateCount": 1,
        "mediaCount": 1,
        "appCount": 0,
    }
    copy = next(p for p in taskade_fake.projects if p.space_id == target.id)
    assert [t.text for t in taskade_fake.tasks(copy)] == ["A", "A1", "B"]
    assert next(m for m in taskade_fake.medias if m.space_id == target.id).content == b"\x00\x01"
    await api.error(
        "POST",
        f"/bundles/{target.id}/import",
        400,
        json={"bundleData": {"version": "2", "items": {}}},
    )
    await api.error(
        "POST",
        f"/bundles/{target.id}/import",
        400,
        json={"bundleData": {"version": "1", "items": {"x": {"type": "space-bundle-ufo-item"}}}},
    )


async def test_bad_bundle_installs_nothing(api: Api, taskade_fake: FakeTaskade) -> None:
    """A bundle with a bad item deep inside is refused whole: nothing is created."""
    target = taskade_fake.add_workspace("Target")
    good = {"type": "space-bundle-project-item", "name": "Good", "tasks": ["a"]}
    bad = {
        "type": "space-bundle-project-item",
        "name": "Bad",
        "tasks": [{"text": "top", "children": [{"text": 5}]}],
    }
    body = await api.error(
        "POST",
        f"/bundles/{target.id}/import",
        400,
        json={"bundleData": {"version": "1", "items": {"g": good, "b": bad}}},
    )
    assert "items.b.tasks[0].children[0]" in body["message"]
    no_bytes = {"type": "space-bundle-media-item", "filename": "a.txt"}
    await api.error(
        "POST",
        f"/bundles/{target.id}/import",
        400,
        json={"bundleData": {"version": "1", "items": {"g": good, "m": no_bytes}}},
    )
    assert taskade_fake.projects == []
    assert taskade_fake.medias == []


async def test_bundle_zip_round_trip(api: Api, taskade_fake: FakeTaskade) -> None:
    """A ZIP export holds bundle.json and the files; importing it recreates the content."""
    source = taskade_fake.add_workspace("Source")
    target = taskade_fake.add_workspace("Target")
    taskade_fake.add_project(source, "Plan", tasks=["A"])
    taskade_fake.add_media(source, "logo.png", b"PNG", "image/png")
    reply = await api.call("GET", f"/bundles/{source.id}/export/zip")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/zip"
    assert f'filename="bundle-{source.id}.zip"' in reply.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(reply.raw)) as archive:
        bundle = json.loads(archive.read("bundle.json"))
        assert len(bundle["items"]) == 2
    tsk = await api.call("GET", f"/bundles/{source.id}/export/zip", params={"format": "tsk"})
    assert f'filename="bundle-{source.id}.tsk"' in tsk.headers["Content-Disposition"]
    await api.error("GET", f"/bundles/{source.id}/export/zip", 400, params={"format": "rar"})
    body = await api.ok(
        "POST",
        f"/bundles/{target.id}/import/zip",
        data=reply.raw,
        headers={"Content-Type": "application/zip"},
    )
    assert body["item"]["projectCount"] == 1
    assert body["item"]["mediaCount"] == 1
    imported = next(m for m in taskade_fake.medias if m.space_id == target.id)
    assert (imported.filename, imported.content, imported.content_type) == (
        "logo.png",
        b"PNG",
        "image/png",
    )
    await api.error("POST", f"/bundles/{target.id}/import/zip", 400, data=b"not a zip")
    too_big = b"\0" * (50 * 1024 * 1024 + 1)
    await api.error("POST", f"/bundles/{target.id}/import/zip", 413, data=io.BytesIO(too_big))
