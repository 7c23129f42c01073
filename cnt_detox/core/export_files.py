"""Files written by background export jobs for a later download (report exports, FHIR bulk
export): one private folder per job, named by the job's public id, under a settings directory.

Shared so both apps keep patient data on disk the same way: folders are created 0700 (the files
are never served as static or media files; a view streams them after an access check and an
audit row), a file is written under a temporary name and renamed when complete (a reader never
sees half a file), and removal never raises (the sweep retries whatever is left).

In production the worker writes and the web container reads, so the directory must be a
volume shared by both (docker-compose.yml ``exports``; README "Production with docker-compose").
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from pathlib import Path

READ_BLOCK = 64 * 1024


def job_folder(base: Path | str, public_id: uuid.UUID | str) -> Path:
    # str(UUID(...)) so a malformed id can never name a path outside ``base``.
    return Path(base) / str(uuid.UUID(str(public_id)))


def make_job_folder(base: Path | str, public_id: uuid.UUID | str) -> Path:
    folder = job_folder(base, public_id)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def remove_job_folder(base: Path | str, public_id: uuid.UUID | str) -> None:
    shutil.rmtree(job_folder(base, public_id), ignore_errors=True)


def partial_path(path: Path) -> Path:
    """Where a file is written before it is complete (renamed by ``publish``)."""
    return path.with_name(f".{path.name}.partial")


def publish(path: Path) -> None:
    """Make the finished file visible under its real name in one step (same folder)."""
    os.replace(partial_path(path), path)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(READ_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()
