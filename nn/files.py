"""Writing a file the user named, and nothing else: the one file writer of valuegrad.

Every file valuegrad writes (models, SVGs, figures, JSON, the demo report) goes through
:func:`write_bytes` / :func:`write_text`, which do what coreutils would do with the path:

* a **regular file**, or a path that does not exist yet, is replaced atomically: the
  data goes to a new temporary file in the target's directory (created exclusively,
  ``O_CREAT | O_EXCL | O_NOFOLLOW``, under an unpredictable name), is flushed and
  fsynced, and then ``os.replace`` renames it over the target in one step. A reader
  sees the old file or the new one, never half of one; on any failure (a full disk, a
  ``KeyboardInterrupt``) the temporary file is removed and the old file is left as it
  was. A replaced file keeps its permission bits (``rwx`` for user, group and others;
  set-user-ID and the like are dropped, as the kernel does on a write) and, where the
  system allows it, its owner and group; a new file gets mode ``0o666`` less the umask,
  as ``open()`` would give it. Several threads or processes writing the same path at
  once all succeed, and the last one to finish wins. (Like ``sed -i``, replacing a file
  gives it a new inode: other hard links to the old file keep the old contents.)
* a path that exists and is **not a regular file** (a character device such as
  ``/dev/null``, a FIFO, ``/dev/stdout``) is opened and written directly, as ``cp``
  and ``tee`` do; it is never replaced.
* a **symlink is written through** to its target: the target is replaced atomically if
  it is a regular file or missing (a dangling symlink creates its target), and written
  directly otherwise; the link itself stays. ``/dev/stdout`` and other links to open
  file descriptors (``/proc/self/fd/N``) are written directly, whatever they point to.
* a **directory**, or a path whose parent directory does not exist, is refused with an
  ``OSError`` that names the path.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
from pathlib import Path

__all__ = ["check_path", "write_bytes", "write_text"]

PathLike = str | os.PathLike[str]

# The most symlinks followed from one path (Linux's own limit, MAXSYMLINKS, is 40).
_MAX_LINKS = 40
# A symlink in one of these directories names an open file descriptor ("magic" link):
# what it points to may be a pipe or a terminal, and the path to write is the link.
_FD_DIR = re.compile(r"/proc/(?:self|thread-self|\d+)(?:/task/\d+)?/fd")

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation
_NOCTTY = getattr(os, "O_NOCTTY", 0)


def _error(kind: type[OSError], code: int | None, message: str) -> OSError:
    """An OSError of class ``kind`` whose text is ``message`` and whose errno is ``code``."""
    err = kind(message)
    err.errno = code
    return err


def _failed(path: str, err: OSError) -> OSError:
    """``err`` (from a system call on ``path`` or its temporary file), naming ``path``."""
    reason = err.strerror or str(err)
    return _error(type(err), err.errno, f"cannot write {path}: {reason}")


def _is_fd_link(link: str) -> bool:
    """Whether the symlink ``link`` lives in a /proc/<pid>/fd directory."""
    return _FD_DIR.fullmatch(os.path.realpath(os.path.dirname(link) or ".")) is not None


def _plan(path: str) -> tuple[str, str, os.stat_result | None]:
    """How to write ``path``: ("atomic" | "direct", the file to write, its stat or None).

    Symlinks are followed one by one, as the kernel would, so that a dangling link
    yields the path of the file it would create.
    """
    current = path
    for _ in range(_MAX_LINKS):
        try:
            st = os.lstat(current)
        except FileNotFoundError:
            st = None
            break
        except NotADirectoryError:
            raise _error(
                NotADirectoryError,
                errno.ENOTDIR,
                f"cannot write {path}: a part of the path is not a directory",
            ) from None
        if not stat.S_ISLNK(st.st_mode):
            break
        if _is_fd_link(current):
            return "direct", path, None  # /dev/stdout, /proc/self/fd/1: the open file itself
        current = os.path.join(os.path.dirname(current), os.readlink(current))
    else:
        raise _error(
            OSError, errno.ELOOP, f"cannot write {path}: too many levels of symbolic links"
        )

    if st is None:
        parent = os.path.dirname(current) or "."
        if not os.path.isdir(parent):
            if os.path.lexists(parent):
                raise _error(
                    NotADirectoryError,
                    errno.ENOTDIR,
                    f"cannot write {path}: {parent} is not a directory",
                )
            raise _error(
                FileNotFoundError,
                errno.ENOENT,
                f"cannot write {path}: the directory {parent} does not exist",
            )
        return "atomic", current, None
    if stat.S_ISDIR(st.st_mode):
        raise _error(IsADirectoryError, errno.EISDIR, f"cannot write {path}: it is a directory")
    if stat.S_ISREG(st.st_mode):
        return "atomic", current, st
    return "direct", current, None  # a device, a FIFO, a socket: write to it


def _write_all(fd: int, data: bytes) -> None:
    """os.write until every byte is written (a write may take fewer bytes than given)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _write_direct(path: str, target: str, data: bytes) -> None:
    try:
        # O_TRUNC is what cp and tee use; devices and FIFOs ignore it.
        fd = os.open(target, os.O_WRONLY | os.O_TRUNC | _NOCTTY | _CLOEXEC | _BINARY)
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
    except OSError as err:
        raise _failed(path, err) from None


def _temp_name(target: str) -> str:
    """A fresh hidden name beside ``target``: ``.NAME.<random>.tmp``, within NAME_MAX bytes."""
    directory, name = os.path.split(target)
    # 255 bytes is the usual NAME_MAX: keep the name's part short enough for the rest.
    stem = os.fsdecode(os.fsencode(name)[:200])
    return os.path.join(directory, f".{stem}.{secrets.token_hex(8)}.tmp")


def _keep_owner_and_mode(fd: int, old: os.stat_result) -> None:
    """Give the temporary file the permission bits and, if allowed, the owner of ``old``."""
    if not hasattr(os, "fchown"):  # pragma: no cover - Windows: no owners, no fchmod
        return
    os.fchmod(fd, stat.S_IMODE(old.st_mode) & 0o777)
    new = os.fstat(fd)
    if (new.st_uid, new.st_gid) == (old.st_uid, old.st_gid):
        return
    # Only root may give a file away; anyone may set a group they belong to.
    for uid in (old.st_uid, -1):
        with contextlib.suppress(PermissionError):
            os.fchown(fd, uid, old.st_gid)
            return


def _replace_atomically(path: str, target: str, old: os.stat_result | None, data: bytes) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC | _BINARY
    for _ in range(100):
        tmp = _temp_name(target)
        try:
            # 0o666: the kernel applies the umask, as open() would for a new file.
            fd = os.open(tmp, flags, 0o666)
            break
        except FileExistsError:
            continue  # 64 random bits taken: draw another name
        except OSError as err:
            raise _failed(path, err) from None
    else:  # pragma: no cover - 100 collisions of 64 random bits
        raise _error(FileExistsError, errno.EEXIST, f"cannot write {path}: no free temporary name")
    try:
        try:
            if old is not None:
                _keep_owner_and_mode(fd, old)
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException as err:
        # Whatever happened (a full disk, Ctrl-C), the old file stays and the new one goes.
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(err, OSError):
            raise _failed(path, err) from None
        raise
    # The directory is not fsynced: after a power cut the path holds the old file or the
    # new one, complete either way (the fsync above sees to that), as with coreutils.


def _name(path: PathLike) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or a path, got {type(path).__name__}: {path!r}")
    name = os.fsdecode(os.fspath(path))
    if not name:
        raise _error(FileNotFoundError, errno.ENOENT, "cannot write a file with an empty name")
    return name


def check_path(path: PathLike) -> Path:
    """Raise now the error :func:`write_bytes` would raise for ``path`` itself; returns it.

    That is an ``OSError`` naming the path when it is a directory, when its directory
    does not exist, or when it is a symlink loop; nothing is created. For a command
    that computes for a while before it writes, so that it fails before the work.
    """
    name = _name(path)
    _plan(name)
    return Path(name)


def write_bytes(path: PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` as the module docstring says; returns ``Path(path)``.

    A regular file (or a new one) is replaced atomically, keeping its permission bits;
    a device or FIFO is written directly; a symlink is written through to its target.
    """
    name = _name(path)
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise TypeError(f"data must be bytes, got {type(data).__name__}")
    how, target, old = _plan(name)
    if how == "direct":
        _write_direct(name, target, data)
    else:
        _replace_atomically(name, target, old, data)
    return Path(name)


def write_text(path: PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` (encoded, UTF-8 by default) to ``path`` as :func:`write_bytes` does."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return write_bytes(path, text.encode(encoding))
