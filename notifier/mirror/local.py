"""The mirror in a local directory (served by nginx or any static server).

Layout: MIRROR_LOCAL_DIR/current is a symlink to builds/<build>. A publish
makes a new build beside it (hard links to the unchanged files of the last
one, fresh files for what changed), then swaps the symlink in one rename:
a reader sees the old site or the new one, never half of either.

Linking a large site's thousands of files takes a good part of a second, so
after each swap the next build's links are made ahead, in builds/.next-<build>;
the next publish renames that and writes only what changed. Files are never
edited in place (a write is a new file renamed over the link), so a served
build never changes under a reader.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import threading
from collections.abc import Collection, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

from notifier.mirror.channel import MirrorChannel, os_error
from notifier.mirror.render import MirrorFile

KEEP_BUILDS = 3
# Where pruned builds wait to be deleted, and the thread deleting them.
TRASH = ".trash"
DISCARD_THREAD = "mirror-discard"


def _empty(folder: Path) -> None:
    for path in folder.iterdir():
        shutil.rmtree(path, ignore_errors=True)


def _write(path: Path, body: bytes, folders: set[Path], *, fresh: bool) -> None:
    if path.parent not in folders:  # one mkdir per folder, not per file: a build has 3,000
        path.parent.mkdir(parents=True, exist_ok=True)
        folders.add(path.parent)
    if fresh:  # a new build shares nothing yet
        path.write_bytes(body)
        return
    # A new inode, never an edit in place: the old build shares unchanged files by hard link.
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    temporary.write_bytes(body)
    os.replace(temporary, path)


class LocalMirrorChannel(MirrorChannel):
    name = "mirror_local"
    label = "Static mirror: local directory"

    @property
    def root(self) -> Path:
        return Path(settings.MIRROR_LOCAL_DIR)

    def is_configured(self) -> bool:
        return bool(settings.MIRROR_LOCAL_DIR)

    def why_off(self) -> str:
        return "" if self.is_configured() else "Set MIRROR_LOCAL_DIR to the directory to serve."

    @property
    def current(self) -> Path:
        return self.root / "current"

    def has_build(self) -> bool:
        return self.current.is_dir()

    @property
    def _full_build_mark(self) -> Path:
        return self.root / ".full-build"  # beside `current`, so never served

    def last_full_build(self) -> datetime | None:
        try:
            return datetime.fromisoformat(self._full_build_mark.read_text().strip())
        except (OSError, ValueError):
            # A mirror made before the mark existed: every failed delivery may have missed it.
            return datetime.min.replace(tzinfo=UTC)

    def full_build_done(self, started: datetime) -> None:
        try:
            _write(self._full_build_mark, started.isoformat().encode(), set(), fresh=False)
        except OSError as error:
            raise os_error(f"Local mirror {self.root}", error) from error

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One build at a time in this directory, inside the target's shared lock.

        The shared lock (notifier/mirror/lock.py) orders workers on every machine; this one
        also keeps out anything else writing here with the same directory (another
        deployment's workers on the same host, an operator's build_mirror with another
        database).
        """
        with ExitStack() as stack:
            try:
                self.root.mkdir(parents=True, exist_ok=True)
                lock = stack.enter_context(open(self.root / ".lock", "w"))
            except OSError as error:
                raise os_error(f"Local mirror {self.root}", error) from error
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def local_lock(self) -> AbstractContextManager[object]:
        return self._locked()

    def publish(
        self,
        pages: list[MirrorFile],
        static: list[tuple[str, Path]],
        *,
        full: bool,
        keep: Collection[str] = (),
    ) -> int:
        try:
            return self._publish(pages, static, full=full, keep=keep)
        except OSError as error:
            raise os_error(f"Local mirror {self.root}", error) from error

    def _publish(
        self,
        pages: list[MirrorFile],
        static: list[tuple[str, Path]],
        *,
        full: bool,
        keep: Collection[str],
    ) -> int:
        builds = self.root / "builds"
        builds.mkdir(exist_ok=True)
        build = builds / f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{secrets.token_hex(3)}"
        try:
            linked = self.has_build() and not full
            if linked:
                source = self.current.resolve()
                staged = _staged_for(source)
                if staged.is_dir():
                    staged.rename(build)  # linked after the last swap, while nobody waited
                else:
                    _link_tree(source, build)
            else:
                build.mkdir()
                if self.has_build():
                    _link_kept(self.current.resolve(), build, keep)
            written = 0
            for path, source in static:
                target = build / path
                if not target.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, target)
                    written += 1
            folders: set[Path] = set()
            fresh = not linked
            for page in pages:
                _write(build / page.path, page.body, folders, fresh=fresh)
                written += 1
            swap = self.root / f".current.{secrets.token_hex(4)}"
            swap.symlink_to(build.relative_to(self.root))
            os.replace(swap, self.current)
        except BaseException:
            shutil.rmtree(build, ignore_errors=True)  # the previous build stays in place
            raise
        self._prune(builds, keep=build)
        self._stage(build)
        self._discard()
        return written

    def _prune(self, builds: Path, keep: Path) -> None:
        """Keep the last KEEP_BUILDS builds; drop links made ahead for any other build.

        What goes is moved out of builds/ at once and deleted in the background
        (`_discard`): deleting a build's thousands of files takes a second or more of disk
        time, which nobody needs to wait for. Whatever a stopped process left half deleted
        goes next time.
        """
        old = sorted(p for p in builds.iterdir() if p != keep and not p.name.startswith("."))
        gone = old[: max(0, len(old) - (KEEP_BUILDS - 1))]
        gone += [p for p in builds.iterdir() if p.name.startswith(".") and p != _staged_for(keep)]
        trash = self.root / TRASH
        trash.mkdir(exist_ok=True)
        for path in gone:
            path.rename(trash / f"{path.name}-{secrets.token_hex(4)}")

    def _discard(self) -> None:
        """Delete what `_prune` moved out, in the background.

        Started after the next build's links are made: beside the deleting, making a
        two-language site's links took 0.18-0.23 s instead of 0.13-0.15 s. Not a daemon: a
        process that ends (`build_mirror` run from cron) ends once the deleting has, instead
        of leaving a build behind in the trash each time.
        """
        trash = self.root / TRASH
        threading.Thread(target=_empty, args=(trash,), name=DISCARD_THREAD, daemon=False).start()

    def _stage(self, build: Path) -> None:
        """Link the next build ahead of time; if that fails, the next publish links it then."""
        partial = build.parent / f".partial-{secrets.token_hex(4)}"
        try:
            _link_tree(build, partial)
            partial.rename(_staged_for(build))
        except OSError:
            shutil.rmtree(partial, ignore_errors=True)


def _staged_for(build: Path) -> Path:
    return build.parent / f".next-{build.name}"


def _link_kept(source: Path, build: Path, keep: Collection[str]) -> None:
    """Into a full build, the last build's copies of the pages that failed to render."""
    for path in keep:
        kept = source / path
        if kept.is_file():
            (build / path).parent.mkdir(parents=True, exist_ok=True)
            os.link(kept, build / path)


def _link_tree(source: Path, target: Path) -> None:
    """`target` made as a copy of `source` whose files are hard links to `source`'s.

    shutil.copytree(copy_function=os.link) does the same, but also copies each folder's times,
    mode and extended attributes, which nothing reading the mirror looks at: with a folder
    per incident that is most of its time.
    """
    target.mkdir()
    folders = [(os.fspath(source), os.fspath(target))]
    while folders:
        here, there = folders.pop()
        with os.scandir(here) as entries:
            for entry in entries:
                made = os.path.join(there, entry.name)
                if entry.is_symlink():
                    os.symlink(os.readlink(entry.path), made)
                elif entry.is_dir():
                    os.mkdir(made)
                    folders.append((entry.path, made))
                else:
                    os.link(entry.path, made)
