"""Every file valuegrad writes: what the user named, and nothing else (nn.files).

The cases coreutils would get right: a regular file is replaced atomically and keeps its
permission bits, a FIFO is written to rather than replaced, a symlink is written
through, a temporary name planted by someone else is never followed, many writers of
one path all succeed, a failure leaves the old file and no debris, a directory is
refused. Every writer of the project (``nn.files``, ``nn.save``, the command helpers in
``valuegrad.options``, ``viz.save_svg``, ``viz.save_figure``) is checked, since before
they shared one implementation each had its own bugs. No test touches a real device:
FIFOs and pipes are made here, in a temporary directory.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from nn import MLP, files, load, save
from nn.serialize import to_dict
from valuegrad import options
from valuegrad.cli import main

SVG = "{http://www.w3.org/2000/svg}"
DOT_SOURCE = 'digraph { a [label="written"] }'
LECTURE = ("(x+y)*z", "x=-2", "y=5", "z=-4")

Writer = Callable[[Path], bytes]


# --------------------------------------------------------------------- writers
# Each writes its own kind of content to a path and returns the bytes it must have
# written, computed independently of the writer.
def write_with_files(path: Path) -> bytes:
    files.write_text(path, "hello, file\n")
    return b"hello, file\n"


def write_with_options(path: Path) -> bytes:
    options.write_text(path, "via the command helpers\n")
    return b"via the command helpers\n"


def write_with_save(path: Path) -> bytes:
    model = MLP(2, [3, 1], seed=4)
    save(model, path)
    return (json.dumps(to_dict(model), allow_nan=False) + "\n").encode()


def write_with_save_svg(path: Path) -> bytes:
    from viz import render_svg, save_svg

    save_svg(DOT_SOURCE, path)
    return render_svg(DOT_SOURCE).encode()


def write_with_explorer(path: Path) -> bytes:
    from autograd import Value
    from viz import explore

    page = explore(Value(2.0, "x") * 3.0)
    page.save(path)
    return page.html.encode()


WRITERS = {
    "nn.files.write_text": write_with_files,
    "valuegrad.options.write_text": write_with_options,
    "nn.save": write_with_save,
}
# save_svg needs dot: its cases carry the marker.
ALL_WRITERS = [
    *(pytest.param(w, id=name) for name, w in WRITERS.items()),
    pytest.param(write_with_save_svg, id="viz.save_svg", marks=pytest.mark.dot),
    pytest.param(write_with_explorer, id="viz.explore().save", marks=pytest.mark.dot),
]


def names_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


# ------------------------------------------------------------------------ FIFOs
@dataclass
class Received:
    data: bytes = b""


@contextmanager
def fifo_reader(path: Path) -> Iterator[Received]:
    """A FIFO at ``path`` with a reader thread; ``.data`` is what it read, after the block.

    The reader is open before anything writes (so a writer's open() does not block), and
    the test holds a write end of its own until the block ends, so the reader sees the
    end of the data only then: a writer that wrongly replaces the FIFO makes the test
    fail, never hang.
    """
    os.mkfifo(path)
    read_fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # does not wait for a writer
    os.set_blocking(read_fd, True)
    hold = os.open(path, os.O_WRONLY)
    chunks: list[bytes] = []

    def drain() -> None:
        while chunk := os.read(read_fd, 65536):
            chunks.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    received = Received()
    try:
        yield received
    finally:
        os.close(hold)
        reader.join(timeout=60)
        os.close(read_fd)
        received.data = b"".join(chunks)
    assert not reader.is_alive()


@pytest.mark.parametrize("writer", ALL_WRITERS)
def test_a_fifo_is_written_to_not_replaced(tmp_path: Path, writer: Writer) -> None:
    fifo = tmp_path / "out.svg"
    with fifo_reader(fifo) as got:
        expected = writer(fifo)
    assert got.data == expected
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still the FIFO
    assert names_in(tmp_path) == ["out.svg"]


def test_save_figure_writes_into_a_fifo(tmp_path: Path) -> None:
    from viz.plots import plot_losses

    fifo = tmp_path / "loss.svg"
    with fifo_reader(fifo) as got:
        plot_losses([3.0, 2.0, 1.5], fifo)
    root = ET.fromstring(got.data)
    assert root.tag == f"{SVG}svg"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_save_figure_keeps_the_mode_follows_symlinks_and_checks_the_path_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from viz import plots

    target = tmp_path / "real.png"
    target.write_bytes(b"old")
    target.chmod(0o600)
    link = tmp_path / "loss.png"
    link.symlink_to(target.name)
    plots.plot_losses([3.0, 2.0], link)
    assert link.is_symlink() and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_bytes().startswith(b"\x89PNG\r\n")
    assert names_in(tmp_path) == ["loss.png", "real.png"]
    # a path that cannot be written fails before anything is drawn
    drawn = []
    monkeypatch.setattr(plots, "_new_figure", lambda *a, **k: drawn.append(a))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        plots.plot_losses([3.0, 2.0], tmp_path / "no" / "loss.svg")
    assert drawn == []


@pytest.mark.dot
def test_valuegrad_graph_writes_its_svg_into_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "graph.svg"
    with fifo_reader(fifo) as got:
        done = subprocess.run(
            [sys.executable, "-m", "valuegrad", "graph", *LECTURE, "-o", str(fifo)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    assert f"wrote {fifo}" in done.stdout
    texts = [t.text for t in ET.fromstring(got.data).iter(f"{SVG}text")]
    assert "data -12.0000" in texts and "grad 3.0000" in texts  # f and dz
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert names_in(tmp_path) == ["graph.svg"]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux's /proc/self/fd")
def test_a_link_to_an_open_file_descriptor_writes_to_that_file(tmp_path: Path) -> None:
    # /dev/stdout is such a link; here a pipe and a file of our own stand in for stdout.
    read_end, write_end = os.pipe()
    try:
        files.write_text(f"/proc/self/fd/{write_end}", "into the pipe")
        os.close(write_end)
        write_end = -1
        assert os.read(read_end, 100) == b"into the pipe"
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)
    target = tmp_path / "stdout.txt"
    with open(target, "wb") as f:
        inode = os.fstat(f.fileno()).st_ino
        files.write_text(f"/proc/self/fd/{f.fileno()}", "through the descriptor")
        assert os.stat(target).st_ino == inode  # the same file, not a replacement
    assert target.read_text() == "through the descriptor"


# --------------------------------------------------------------------- symlinks
@pytest.mark.parametrize("writer", ALL_WRITERS)
def test_a_symlink_is_written_through_to_its_target(tmp_path: Path, writer: Writer) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / "real.svg"
    target.write_bytes(b"old contents")
    link = tmp_path / "link.svg"
    link.symlink_to(Path("elsewhere") / "real.svg")  # relative to the link's directory
    expected = writer(link)
    assert link.is_symlink() and os.readlink(link) == os.path.join("elsewhere", "real.svg")
    assert target.read_bytes() == expected
    assert names_in(elsewhere) == ["real.svg"]  # the temporary file lived beside the target
    assert names_in(tmp_path) == ["elsewhere", "link.svg"]


@pytest.mark.parametrize("writer", ALL_WRITERS)
def test_a_dangling_symlink_creates_its_target(tmp_path: Path, writer: Writer) -> None:
    link = tmp_path / "link.svg"
    link.symlink_to(tmp_path / "first.svg")
    chain = tmp_path / "chain.svg"
    chain.symlink_to(link)  # chain -> link -> first.svg (missing)
    expected = writer(chain)
    assert chain.is_symlink() and link.is_symlink()
    assert (tmp_path / "first.svg").read_bytes() == expected


def test_a_symlink_to_a_fifo_writes_into_the_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    link = tmp_path / "link"
    with fifo_reader(fifo) as got:
        link.symlink_to(fifo)
        files.write_text(link, "through the link")
    assert got.data == b"through the link"
    assert link.is_symlink() and stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_symlink_loop_is_refused_clearly(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(OSError, match="too many levels of symbolic links") as info:
        files.write_text(loop, "x")
    assert info.value.errno == errno.ELOOP and str(loop) in str(info.value)


# ---------------------------------------------------------- planted temp names
def test_a_planted_symlink_at_the_old_temporary_name_is_never_followed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # ln -s victim DIR/.regress.json.tmp; valuegrad regress -o DIR
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / ".regress.json.tmp").symlink_to(victim)
    (out / ".regress_loss.svg.tmp").symlink_to(victim)
    assert main(["regress", "--steps", "3", "-o", str(out)]) == 0
    assert victim.read_text() == "precious\n"
    written = out / "regress.json"
    assert not written.is_symlink() and len(json.loads(written.read_text())["losses"]) == 3
    assert not (out / "regress_loss.svg").is_symlink()
    # the planted links are someone else's: left alone, and nothing else is left behind
    assert names_in(out) == [
        ".regress.json.tmp",
        ".regress_loss.svg.tmp",
        "regress.json",
        "regress_loss.svg",
    ]


def test_temporary_names_are_fresh_and_created_exclusively(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[tuple[str, int]] = []
    real_open = os.open

    def spy(path: str, flags: int, *args: int) -> int:
        opened.append((os.fspath(path), flags))
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", spy)
    target = tmp_path / "model.json"
    for _ in range(3):
        files.write_text(target, "x")
    temps = [(p, f) for p, f in opened if p.endswith(".tmp")]
    assert len(temps) == 3 and len({p for p, _ in temps}) == 3  # a new name every time
    for p, flags in temps:
        assert Path(p).parent == tmp_path and Path(p).name.startswith(".model.json.")
        assert flags & os.O_CREAT and flags & os.O_EXCL and flags & os.O_NOFOLLOW


# ----------------------------------------------------------- permission bits
@pytest.mark.parametrize("mode", [0o644, 0o600, 0o640, 0o755])
@pytest.mark.parametrize("writer", ALL_WRITERS)
def test_a_replaced_file_keeps_its_permission_bits(
    tmp_path: Path, writer: Writer, mode: int
) -> None:
    target = tmp_path / "out.svg"
    target.write_bytes(b"old")
    target.chmod(mode)
    expected = writer(target)
    assert target.read_bytes() == expected
    assert stat.S_IMODE(target.stat().st_mode) == mode


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
@pytest.mark.parametrize("writer", WRITERS.values(), ids=WRITERS)
def test_a_new_file_gets_0666_less_the_umask(tmp_path: Path, writer: Writer, umask: int) -> None:
    target = tmp_path / "new.svg"
    old = os.umask(umask)  # the test sets it; the writer must not read it
    try:
        writer(target)
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_a_replaced_file_keeps_its_owner_where_allowed(tmp_path: Path) -> None:
    target = tmp_path / "theirs.json"
    target.write_text("old")
    os.chown(target, 4321, 8765)
    files.write_text(target, "new")
    st = target.stat()
    assert (st.st_uid, st.st_gid) == (4321, 8765)


# --------------------------------------------------------------- many writers
@pytest.mark.parametrize("writer", ["files", "options", "save"])
def test_eight_threads_writing_one_file_all_succeed(tmp_path: Path, writer: str) -> None:
    target = tmp_path / "shared.json"
    payloads = {k: f'{{"writer": {k}, "pad": "{str(k) * 300_000}"}}\n' for k in range(8)}
    models = {k: MLP(2, [3, 2], seed=k) for k in range(8)}
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def work(k: int) -> None:
        start.wait()
        try:
            for _ in range(5):
                if writer == "files":
                    files.write_text(target, payloads[k])
                elif writer == "options":
                    options.write_text(target, payloads[k])
                else:
                    save(models[k], target)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    text = target.read_text()
    if writer == "save":
        back = load(target)  # one complete model, equal to one of the eight
        assert any(back.weights == m.weights for m in models.values())
    else:
        assert text in payloads.values()  # one complete write, not a mixture
    assert names_in(tmp_path) == ["shared.json"]


# ------------------------------------------------------------------- failures
def test_a_failure_mid_write_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "model.json"
    save(MLP(2, [2], seed=0), target)
    before = target.read_bytes()
    real_write = os.write

    def disk_full(fd: int, data: bytes) -> int:
        if len(data) > 100:  # write a part, then the disk is full
            real_write(fd, bytes(data[:100]))
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(os, "write", disk_full)
        with pytest.raises(OSError, match=r"cannot write .*model.json: No space left") as info:
            save(MLP(2, [5], seed=1), target)
    assert info.value.errno == errno.ENOSPC
    assert target.read_bytes() == before
    assert names_in(tmp_path) == ["model.json"]


@pytest.mark.parametrize("writer", WRITERS.values(), ids=WRITERS)
@pytest.mark.parametrize("when", ["fsync", "replace"])
def test_ctrl_c_while_writing_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: Writer, when: str
) -> None:
    target = tmp_path / "out.svg"
    target.write_bytes(b"the old file")

    def interrupt(*args: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(os, when, interrupt)
        with pytest.raises(KeyboardInterrupt):
            writer(target)
    assert target.read_bytes() == b"the old file"
    assert names_in(tmp_path) == ["out.svg"]


# ------------------------------------------------------------ refused paths
@pytest.mark.parametrize("writer", ALL_WRITERS)
def test_a_directory_is_refused_and_left_alone(tmp_path: Path, writer: Writer) -> None:
    target = tmp_path / "out.svg"
    target.mkdir()
    (target / "inside").write_text("kept")
    with pytest.raises(IsADirectoryError, match=r"cannot write .*out.svg: it is a directory"):
        writer(target)
    assert names_in(target) == ["inside"]
    assert names_in(tmp_path) == ["out.svg"]


@pytest.mark.parametrize("writer", ALL_WRITERS)
def test_a_missing_directory_is_refused_clearly(tmp_path: Path, writer: Writer) -> None:
    with pytest.raises(FileNotFoundError, match=r"the directory .*missing does not exist"):
        writer(tmp_path / "missing" / "out.svg")
    assert names_in(tmp_path) == []


def test_a_file_used_as_a_directory_is_refused_clearly(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x")
    with pytest.raises(NotADirectoryError, match=r"cannot write .*plain/out.svg"):
        files.write_text(tmp_path / "plain" / "out.svg", "y")
    with pytest.raises(FileNotFoundError, match="empty name"):
        files.write_text("", "y")
    with pytest.raises(TypeError, match="must be a str or a path"):
        files.write_text(42, "y")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be bytes"):
        files.write_bytes(tmp_path / "b", "text")  # type: ignore[arg-type]


def test_check_path_reports_what_a_write_would_and_creates_nothing(tmp_path: Path) -> None:
    assert files.check_path(tmp_path / "new.svg") == tmp_path / "new.svg"
    with pytest.raises(IsADirectoryError):
        files.check_path(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        files.check_path(tmp_path / "no" / "x")
    assert names_in(tmp_path) == []


def test_valuegrad_graph_into_a_directory_exits_1_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["graph", "x*2", "x=1", "-o", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 1
    assert err == f"valuegrad graph: error: cannot write {tmp_path}: it is a directory\n"
