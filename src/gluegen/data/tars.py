"""Sound corpora in webdataset tar shards: a `.tar` file, or a folder of them.

webdataset's layout: the files of one sample share a key, the member's path up to the first
dot of its name (`clips/0001.flac`, `clips/0001.txt` or `clips/0001.json`). A sample pairs a
sound (AUDIO_SUFFIXES) with its caption: the `.txt` member, else the caption column of the
`.json` one (its field `--target-column`); a `split` field in the json keeps only the
samples of `--split`. Sounds are not unpacked: each is a `TarMember`, read from where it lies
in its shard (one positioned read) when the encoder asks for it. A corpus's fingerprint reads
each shard once (its hash remembered as any file's) and the members' names and places.
"""

from __future__ import annotations

import json
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path

from gluegen.data.corpus import AUDIO_SUFFIXES, SPLIT_COLUMN, CorpusError, ParallelCorpus

TAR_SUFFIX = ".tar"
CAPTION_SUFFIXES = (".txt", ".json")


@dataclass(frozen=True)
class TarMember:
    """A file inside a tar shard, read where it lies."""

    tar: str
    name: str
    offset: int  # where its bytes start in the tar file
    size: int

    def read_bytes(self) -> bytes:
        """Its bytes, with one positioned read."""
        descriptor = os.open(self.tar, os.O_RDONLY)
        try:
            data = os.pread(descriptor, self.size, self.offset)
        finally:
            os.close(descriptor)
        if len(data) != self.size:
            raise ValueError(f"{self}: the shard ends before the member does (truncated?).")
        return data

    def __str__(self) -> str:
        return f"{self.tar}#{self.name}"


def is_tar_corpus(path: Path) -> bool:
    """A .tar file, or a folder holding .tar files (and no captions table)."""
    if path.suffix.lower() == TAR_SUFFIX:
        return True
    return path.is_dir() and not (path / "captions.tsv").is_file() and any(path.glob("*.tar"))


def sample_key(name: str) -> tuple[str, str]:
    """(key, extension) of a member name as webdataset splits it: at the name's first dot."""
    folder, _, base = name.rpartition("/")
    stem, dot, extension = base.partition(".")
    return (f"{folder}/{stem}" if folder else stem), (dot + extension).lower()


def _caption(archive: tarfile.TarFile, key: str, files: dict, column: str, split: str | None):
    """The caption of a sample (None: not in `split`)."""
    where = archive.name
    if ".txt" in files:
        try:
            return archive.extractfile(files[".txt"]).read().decode("utf-8").strip()
        except UnicodeDecodeError as error:
            raise CorpusError(f"{where}: {key}.txt is not UTF-8 ({error.reason}).") from error
    try:
        record = json.loads(archive.extractfile(files[".json"]).read())
    except ValueError as error:  # UnicodeDecodeError too
        raise CorpusError(f"{where}: {key}.json is not valid JSON ({error}).") from error
    if split is not None and SPLIT_COLUMN in record and record[SPLIT_COLUMN] != split:
        return None
    if column not in record:
        raise CorpusError(
            f"{where}: {key}.json has no field {column!r}; its fields are {sorted(record)}. "
            "Choose it with --target-column."
        )
    return str(record[column]).strip()


def _shard_samples(tar: Path, column: str, split: str | None) -> list[tuple[TarMember, str]]:
    """(sound, caption) of every sample of one shard in `split`, in the shard's order."""
    samples: dict[str, dict[str, tarfile.TarInfo]] = {}
    found = []
    try:
        with tarfile.open(tar, "r:") as archive:  # uncompressed: sounds are read in place
            for member in archive:
                if member.isfile():
                    key, extension = sample_key(member.name)
                    samples.setdefault(key, {})[extension] = member
            for key, files in samples.items():
                audio = [files[e] for e in files if "." + e.rsplit(".", 1)[-1] in AUDIO_SUFFIXES]
                if not audio or not any(e in files for e in CAPTION_SUFFIXES):
                    raise CorpusError(
                        f"{tar}: sample {key!r} has {sorted(files)}; each needs a sound "
                        f"{AUDIO_SUFFIXES} and a caption (.txt, or .json with {column!r})."
                    )
                caption = _caption(archive, key, files, column, split)
                if caption == "":
                    raise CorpusError(f"{tar}: sample {key!r} has an empty caption.")
                if caption is not None:
                    sound = audio[0]
                    found.append(
                        (TarMember(str(tar), sound.name, sound.offset_data, sound.size), caption)
                    )
    except (tarfile.TarError, OSError) as error:
        raise CorpusError(
            f"{tar}: not a readable uncompressed tar shard ({error}); sounds are read where "
            "they lie, so decompress .tar.gz shards first."
        ) from error
    return found


def read_tar_shards(
    path: str | Path, caption_column: str = "caption", split: str | None = "train"
) -> ParallelCorpus:
    """The (sound, caption) samples of a .tar shard or a folder of them (sorted by name);
    `caption_column`: the field of the .json members that holds the caption."""
    path = Path(path)
    if not path.exists():
        raise CorpusError(f"{path}: no such tar shard or folder.")
    shards = [path] if path.is_file() else sorted(path.glob("*.tar"))
    sounds: list[TarMember] = []
    captions: list[str] = []
    for tar in shards:
        for sound, caption in _shard_samples(tar, caption_column, split):
            sounds.append(sound)
            captions.append(caption)
    if not sounds:
        raise CorpusError(f"{path}: no samples" + (f" of split {split!r}." if split else "."))
    return ParallelCorpus(sounds, captions, origin=str(path), source_kind="audio")
