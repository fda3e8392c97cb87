"""--download: fetch a dataset's files with a progress bar, resume partial downloads, verify checksums,
cache under $CONVZOO_HOME, and extract archives safely (tarfile's "data" filter)."""

from __future__ import annotations

import os
import sys
import tarfile
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

from .catalog import DatasetSpec
from .errors import DataError
from .idx import check_md5, file_md5

CHUNK = 1 << 16


def download_file(url: str, dest: Path, md5: str | None = None, *, timeout: float = 60.0) -> Path:
    """Download url to dest unless a file with the right md5 is there; a partial `.part` is resumed."""
    if dest.is_file() and (md5 is None or file_md5(dest) == md5):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    start = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={start}-"} if start else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if start and response.status != 206:  # the server ignored the range: start over
                start = 0
            size = response.headers.get("Content-Length")
            total = start + int(size) if size else None
            with (
                open(part, "ab" if start else "wb") as f,
                tqdm(
                    total=total, initial=start, unit="B", unit_scale=True, desc=dest.name,
                    file=sys.stderr, disable=not sys.stderr.isatty(),
                ) as bar,
            ):  # fmt: skip
                for chunk in iter(lambda: response.read(CHUNK), b""):
                    f.write(chunk)
                    bar.update(len(chunk))
    except urllib.error.HTTPError as e:
        if not (e.code == 416 and start):  # 416: the partial file is already complete
            raise DataError(f"cannot download {url}: HTTP {e.code} {e.reason}") from None
    except (urllib.error.URLError, OSError) as e:
        raise DataError(
            f"cannot download {url}: {getattr(e, 'reason', e)} (a partial file is kept to resume)"
        ) from None
    try:
        check_md5(part, md5)
    except DataError:
        part.unlink()
        raise DataError(
            f"{url}: downloaded file has the wrong checksum (expected md5 {md5}); removed it"
        ) from None
    os.replace(part, dest)
    return dest


def extract(archive: Path, into: Path) -> None:
    """Extract a tar archive, refusing members that would land outside `into` or are special files."""
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(into, filter="data")
    except (tarfile.TarError, OSError) as e:
        raise DataError(f"{archive}: cannot extract safely ({e})") from None


def fetch_dataset(spec: DatasetSpec, root: Path, base_url: str | None = None) -> None:
    """Bring a named dataset's files into root (from spec.url or base_url); no-op for shipped ones."""
    url = base_url or spec.url
    if not url:
        return
    if spec.archive:
        archive = download_file(url + spec.archive, root / spec.archive, spec.files.get(spec.archive))
        marker = root / f".{spec.archive}.extracted"
        if not marker.exists():
            extract(archive, root)
            marker.touch()
        return
    for name, md5 in spec.files.items():
        download_file(url + name, root / name, md5)
