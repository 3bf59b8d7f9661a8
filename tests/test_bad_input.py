"""Bad input as a user brings it, made here: each file gives a clear message on the page, never a traceback,
and nothing is written outside the app's data and run folders. Settings past their limits are refused.

simclr.data.decode's decoding of each kind is tested in test_images.py and the loaders in test_data.py; this file
drives the same corpus through the Augmentations page (upload and folder) and the command line.
"""
import functools
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import tracemalloc
import uuid
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from simclr.data import DataError, load_dataset, load_uploads
from simclr.data import user_images as image_sets
from simclr.runs.config import TrainConfig
from simclr.train.cli import main
from image_files import encode, palette_with_transparency, png_claiming, zip_lying, zipped

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
CANARY = f"escaped-{uuid.uuid4().hex[:12]}"  # the name a zip entry would have if it were ever unpacked


@functools.cache
def corpus() -> dict[str, tuple[bytes, str | None]]:
    """File name -> (bytes, words the message must hold); None: a good file that must load."""
    noise = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    jpeg = encode(Image.fromarray(noise), "JPEG")
    frames = [Image.new("RGB", (16, 16), (255, 0, 0)), Image.new("RGB", (16, 16), (0, 0, 255))]
    small = encode(Image.new("RGB", (16, 16), (0, 200, 0)))
    escaping = zipped({f"../{CANARY}.png": small, f"../../{CANARY}/a.png": small, f"/tmp/{CANARY}.png": small,
                       f"C:/{CANARY}.png": small})
    bomb = zipped({"big.bmp": bytes(50 * 2**20)})
    assert len(bomb) * 1000 < 50 * 2**20  # it expands more than a thousandfold
    return {
        "cut.jpg": (jpeg[: len(jpeg) // 2], "truncated or damaged"),
        "empty.png": (b"", "is empty (0 bytes)"),
        "notes.png": (b"this is a text file, not a picture\n" * 20, "is not an image this app can read"),
        "dot.png": (encode(Image.new("RGB", (1, 1))), "only 1 x 1 pixels"),
        "bomb.png": (png_claiming(20000, 20000), "far too large to open"),
        "deep.png": (encode(Image.fromarray(np.full((16, 16), 40000, np.uint16))), None),  # 16-bit grey
        "print.jpg": (encode(Image.new("CMYK", (32, 32), (30, 200, 100, 50)), "JPEG"), None),
        "anim.gif": (encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100), None),
        "escape.zip": (escaping, "points outside the archive"),
        "bomb.zip": (bomb, "zip bomb"),
        "lying.zip": (zip_lying("big.png", 2**28, 1000), "could not be unpacked"),  # 256 MB declared as 1 kB
        "palette.png": (palette_with_transparency(6300), None),  # 40 MP from 46 kB
    }


BAD = sorted(name for name, (_, words) in corpus().items() if words)
GOOD = sorted(name for name, (_, words) in corpus().items() if not words)


# --- the filesystem: nothing outside the data and run folders changes ---------------------------------------


def tree(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under folder: relative path -> (size, mtime in ns)."""
    found = {}
    for base, _, files in os.walk(folder):
        for file in files:
            path = Path(base) / file
            stat = path.lstat()
            found[str(path.relative_to(folder))] = (stat.st_size, stat.st_mtime_ns)
    return found


def canaries(sandbox: Path) -> list[str]:
    """Anything named after CANARY where a `../` or absolute zip entry would have landed if it were unpacked."""
    deep = [ROOT, sandbox]  # searched through
    shallow = [ROOT.parent, Path("/tmp"), Path.cwd(), Path.cwd().parent]  # their top level only
    found = [p for place in deep for p in place.rglob(f"{CANARY}*") if ".git" not in p.parts]
    found += [p for place in shallow for p in place.glob(f"{CANARY}*")]
    return [str(p) for p in found]


@pytest.fixture
def sandbox(tmp_path, monkeypatch) -> Path:
    """Data, runs, HOME and TMPDIR all inside tmp_path; the test checks the tree before and after."""
    for name in ("data", "runs", "home", "tmp"):
        (tmp_path / name).mkdir()
    monkeypatch.setenv("SIMCLR_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("SIMCLR_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    return tmp_path


def page(sandbox: Path) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    assert not at.exception, at.exception
    return at


def messages(at: AppTest) -> str:
    return "\n".join(e.value for e in (*at.error, *at.warning, *at.info, *at.caption))


def view_count(at: AppTest) -> int:
    return sum(img.caption.startswith("view") for element in at.get("image") for img in element.proto.imgs)


def choose_folder(at: AppTest, typed: str) -> None:
    """The sidebar's dataset 'folder', with `typed` in its text box."""
    if at.sidebar.selectbox(key="dataset").value != "folder":
        at.sidebar.selectbox(key="dataset").set_value("folder").run()
    at.sidebar.text_input(key="folder").input(typed).run()
    assert not at.exception, (typed, at.exception)


def upload(at: AppTest, files: list[tuple[str, bytes]]) -> AppTest:
    mime = {".zip": "application/zip", ".jpg": "image/jpeg", ".gif": "image/gif"}
    at.get("file_uploader")[0].set_value([(n, b, mime.get(Path(n).suffix, "image/png")) for n, b in files]).run()
    assert not at.exception, f"{[n for n, _ in files]} raised {at.exception}"
    return at


def test_each_bad_upload_gets_its_message_on_the_page_and_writes_nothing(sandbox):
    before = tree(sandbox)
    at = page(sandbox)
    at.radio(key="aug_source").set_value("My own images").run()
    files = corpus()
    for name in BAD:
        data, words = files[name]
        upload(at, [(name, data)])
        errors = [e.value for e in at.error]
        assert errors and name in errors[0] and words in errors[0], (name, errors)
        assert view_count(at) == 0
    for name in GOOD:
        upload(at, [(name, files[name][0])])
        assert not at.error and view_count(at) == 2, (name, messages(at))
    assert tree(sandbox) == before
    assert canaries(sandbox) == []


def test_an_upload_is_decoded_once_not_on_every_rerun(sandbox):
    at = page(sandbox)
    at.radio(key="aug_source").set_value("My own images").run()
    upload(at, [("palette.png", corpus()["palette.png"][0]), ("anim.gif", corpus()["anim.gif"][0])])
    decoded = at.session_state["_aug_uploaded"][1]
    at.slider(key="aug_count").set_value(1).run()
    at.button(key="resample").click().run()
    assert not at.exception and view_count(at) == 2
    assert at.session_state["_aug_uploaded"][1] is decoded, "a rerun decoded the upload again"
    upload(at, [("cut.jpg", corpus()["cut.jpg"][0])])
    assert "truncated or damaged" in at.error[0].value and at.session_state["_aug_uploaded"][1] is not decoded
    at.get("file_uploader")[0].set_value(None).run()
    assert "_aug_uploaded" not in at.session_state, "removed files leave no decoded copy behind"


def test_bad_files_among_good_ones_are_listed_and_the_good_ones_shown(sandbox):
    at = page(sandbox)
    at.radio(key="aug_source").set_value("My own images").run()
    files = corpus()
    upload(at, [(name, data) for name, (data, _) in files.items()])
    assert not at.error
    warnings = "\n".join(w.value for w in at.warning)
    for name in BAD:
        assert name in warnings or name == "escape.zip" and "outside the archive" in warnings, name
    assert view_count(at) == 2 * min(len(GOOD), at.slider(key="aug_count").value)
    assert canaries(sandbox) == []


def test_the_same_corpus_as_a_folder_in_the_data_root(sandbox):
    folder = sandbox / "data" / "corpus"
    folder.mkdir()
    for name, (data, _) in corpus().items():
        (folder / name).write_bytes(data)
    (sandbox / "data" / "empty").mkdir()
    before = tree(sandbox)
    at = page(sandbox)
    choose_folder(at, "corpus")
    shown = messages(at)
    for name in BAD:
        if name.endswith(".png") or name.endswith(".jpg"):
            assert name in shown, (name, shown)  # zips in a folder are not images: left alone
    assert view_count(at) == 2 * len(GOOD)
    choose_folder(at, "empty")
    assert "holds no image files" in messages(at)
    assert view_count(at) == 0
    assert tree(sandbox) == before


def test_library_messages_name_the_file_for_every_bad_kind():
    for name in BAD:
        data, words = corpus()[name]
        with pytest.raises(DataError) as error:
            load_uploads([(name, data)])
        assert words in str(error.value) and (name in str(error.value) or name.endswith(".zip")), str(error.value)


def test_folder_of_only_bad_files_is_one_data_error(tmp_path):
    for name in BAD:
        if not name.endswith(".zip"):
            (tmp_path / name).write_bytes(corpus()[name][0])
    with pytest.raises(DataError, match="None of the images") as error:
        load_dataset("folder", path=tmp_path)
    assert all(name in str(error.value) for name in BAD if not name.endswith(".zip"))


def test_a_folder_outside_the_data_root_is_refused_on_the_page(sandbox):
    at = page(sandbox)
    for typed in ("../../etc", "/etc", "..", "corpus/../../home"):
        choose_folder(at, typed)
        assert any("must be inside the data root" in w.value for w in at.warning), (typed, messages(at))
        assert view_count(at) == 0


def within(seconds: float, fn, *args, kwargs: dict | None = None):
    """fn(*args) in a thread; the test fails if it has not returned after `seconds` (a hang, not a slow run)."""
    outcome = {}

    def call():
        try:
            outcome["value"] = fn(*args, **(kwargs or {}))
        except BaseException as error:  # noqa: BLE001 - handed back to the test below
            outcome["error"] = error

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"{getattr(fn, '__name__', fn)} still running after {seconds} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def test_a_zip_whose_headers_lie_about_sizes_is_read_in_bounded_memory():
    data, words = corpus()["lying.zip"]
    tracemalloc.start()
    with pytest.raises(DataError, match=words):
        within(60, load_uploads, [("lying.zip", data)])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 4 * image_sets.CHUNK + 2 * len(data), peak  # reading it whole expanded all 256 MB at once


def test_the_upload_size_cap_counts_all_files_together():
    each = image_sets.MAX_TOTAL_UPLOAD_BYTES // 3 + 1  # every file alone is well under the cap
    files = [(f"{i}.png", bytes(each)) for i in range(3)]
    with pytest.raises(DataError, match=r"3 files of \d+ MB together; one upload may hold 100 MB"):
        within(30, load_uploads, files)


def test_devices_pipes_and_links_out_of_the_folder_are_skipped_without_hanging(tmp_path):
    folder, outside = tmp_path / "mine", tmp_path / "elsewhere.png"
    folder.mkdir()
    good = encode(Image.new("RGB", (16, 16), (0, 200, 0)))
    (folder / "good.png").write_bytes(good)
    outside.write_bytes(good)
    (folder / "zero.png").symlink_to("/dev/zero")  # reading it never ends
    os.mkfifo(folder / "pipe.png")  # opening it for reading blocks until a writer comes
    (folder / "away.png").symlink_to(outside)
    (folder / "inside.png").symlink_to(folder / "good.png")  # a link that stays in the folder is fine
    dataset = within(60, lambda: load_dataset("folder", path=folder))
    assert dataset.names == ["good.png", "inside.png"]
    shown = "\n".join(dataset.warnings)
    assert "zero.png: it is a link to /dev/zero" in shown and "pipe.png: it is not a regular file" in shown, shown
    assert "away.png: it is a link to" in shown and "outside the chosen folder" in shown, shown


# --- settings at and past their limits ------------------------------------------------------------------------


@pytest.mark.parametrize("argv, words", [
    (["--seconds", "inf"], "time budget must be above 0 seconds, and finite"),
    (["--epochs", "inf"], "epochs must be above 0, and finite"),
    (["--size", "0"], "at least 8 pixels"),
    (["--size", "-4"], "at least 8 pixels"),
    (["--size", "1"], "at least 8 pixels"),
    (["--temperature", "-0.5"], "temperature must be above 0"),
    (["--seconds", "-1"], "time budget must be above 0"),
    (["--batch-size", "1"], "at least 2 images"),
    (["--batch-size", "4001"], "larger than the 4000 training images"),
    (["--batch-size", "lots"], "invalid int value"),
])
def test_cli_refuses_limits_with_exit_2(argv, words, tmp_path, capsys):
    """test_train.py covers temperature 0, zero seconds, batch 5000 and a negative learning rate."""
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--out", str(tmp_path / "run"), "--threads", "1"])
    assert exit_info.value.code == 2
    assert words in capsys.readouterr().err
    assert not (tmp_path / "run" / "config.json").exists()


def test_cli_limit_in_a_real_process_prints_no_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "simclr.train", "--temperature", "-0.5", "--out", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert "temperature must be above 0" in result.stderr and "Traceback" not in result.stderr, result.stderr


@pytest.fixture
def train_page(sandbox) -> AppTest:
    at = page(sandbox)
    at.switch_page("app_pages/train/page.py").run()
    assert not at.exception, at.exception
    return at


def test_train_page_widgets_stop_at_their_limits(train_page):
    """Temperature 0 and a zero time budget cannot be entered: the widgets hold their minimums."""
    for key, typed, floor in (("train_temperature", 0.0, 0.01), ("train_temperature", -1.0, 0.01),
                              ("train_seconds", 0.0, 1.0), ("train_batch_size", 1, 2)):
        train_page.number_input(key=key).set_value(typed).run()
        assert not train_page.exception
        assert train_page.number_input(key=key).value == floor, key


def test_train_page_says_why_a_batch_larger_than_the_dataset_cannot_start(train_page, sandbox):
    train_page.number_input(key="train_batch_size").set_value(8192).run()
    train_page.number_input(key="train_seconds").set_value(5.0).run()
    train_page.text_input(key="train_name").input("too-big").run()
    train_page.button(key="train_start").click().run()
    assert not train_page.exception
    shown = ""
    for _ in range(120):  # the process starts, reads the data and refuses
        shown = messages(train_page) + "\n".join(c.value for c in train_page.code)
        if "larger than the 4000 training images" in shown:
            break
        time.sleep(0.5)
        train_page.run()
    assert "larger than the 4000 training images" in shown, shown
    assert not (sandbox / "runs" / "too-big" / "config.json").exists()


def test_resuming_a_damaged_checkpoint_is_a_message(tmp_path, capsys):
    run_dir = tmp_path / "damaged"
    run_dir.mkdir()
    (run_dir / "config.json").write_text(json.dumps(TrainConfig().to_dict()))
    (run_dir / "last.pt").write_bytes(b"half a checkpoint")
    with pytest.raises(SystemExit) as exit_info:
        main(["--resume", str(run_dir), "--seconds", "1"])
    assert exit_info.value.code == 2 and "last.pt" in capsys.readouterr().err


def test_training_on_the_sidebars_folder_starts(train_page, sandbox):
    folder = sandbox / "data" / "mine"
    folder.mkdir()
    for i in range(16):
        (folder / f"{i}.png").write_bytes(encode(Image.new("RGB", (40, 40), (i * 15, 0, 0))))
    train_page.session_state["dataset"] = "folder"  # the sidebar's dataset and folder
    train_page.session_state["folder"] = "mine"
    train_page.selectbox(key="train_dataset").set_value("folder").run()
    train_page.number_input(key="train_batch_size").set_value(8).run()
    train_page.number_input(key="train_seconds").set_value(2.0).run()
    train_page.text_input(key="train_name").input("mine").run()
    train_page.button(key="train_start").click().run()
    run_dir = sandbox / "runs" / "mine"
    for _ in range(120):
        if (run_dir / "config.json").exists() or train_page.error:
            break
        time.sleep(0.5)
        train_page.run()
    assert (run_dir / "config.json").exists(), [e.value for e in train_page.error] + [c.value[-200:] for c in train_page.code]


def test_cli_refuses_an_existing_file_as_the_run_folder(tmp_path, capsys):
    taken = tmp_path / "notes.txt"
    taken.write_text("mine")
    with pytest.raises(SystemExit) as exit_info:
        main(["--out", str(taken), "--max-steps", "1"])
    assert exit_info.value.code == 2 and "is a file" in capsys.readouterr().err
    assert taken.read_text() == "mine"


TINY_RUN = ["--max-steps", "2", "--batch-size", "32", "--subset", "64", "--eval-images", "200", "--eval-every",
            "1000", "--log-every", "1", "--checkpoint-every", "1", "--threads", "1"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    """A real two-step run (max-steps budget) with config, metrics, summary, last.pt and best.pt."""
    run_dir = tmp_path_factory.mktemp("tiny") / "tiny"
    assert main([*TINY_RUN, "--out", str(run_dir)]) == 0
    return run_dir


def copy_run(run_dir: Path, to: Path) -> Path:
    shutil.copytree(run_dir, to)
    return to


@pytest.mark.parametrize("more, words", [(["--seconds", "-5"], "--seconds with --resume is how much more"),
                                         (["--seconds", "inf"], "a number above 0 (got inf)"),
                                         (["--max-steps", "0"], "--max-steps with --resume")])
def test_cli_resume_refuses_budgets_that_are_not_more(tiny_run, tmp_path, more, words, capsys):
    run_dir = copy_run(tiny_run, tmp_path / "run")
    before = (run_dir / "summary.json").read_text()
    with pytest.raises(SystemExit) as exit_info:
        main(["--resume", str(run_dir), *more])
    assert exit_info.value.code == 2 and words in capsys.readouterr().err
    assert (run_dir / "summary.json").read_text() == before


def test_resuming_a_max_steps_run_for_seconds_with_a_damaged_metrics_line_trains_and_finishes(tiny_run, tmp_path):
    """A max-steps run resumed with --seconds trains those seconds (it was refused: 'give it more seconds'), and a
    metrics line with "step": "ten" is dropped instead of ending the process with the run left "running"."""
    run_dir = copy_run(tiny_run, tmp_path / "run")
    with open(run_dir / "metrics.jsonl", "a") as metrics:
        metrics.write(json.dumps({"step": "ten", "loss": 1.0}) + "\n")
    (run_dir / ".last.pt.x1y2z3.tmp").write_bytes(b"left by a kill mid-save")
    result = within(300, subprocess.run, [sys.executable, "-m", "simclr.train", "--resume", str(run_dir),
                                          "--seconds", "1", "--threads", "1"],
                    kwargs=dict(cwd=ROOT, capture_output=True, text=True, timeout=280))
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["steps"] > 2, summary
    steps = [json.loads(line)["step"] for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert steps[:2] == [1, 2] and all(isinstance(step, int) for step in steps) and steps[-1] == summary["steps"]
    assert not list(run_dir.glob(".*.tmp"))


SERVER_LIMIT_MB = 1536  # what the app may hold at its peak: the classroom-laptop bound (1.5 GB)
THROUGH_THE_CORPUS = """
import os, resource, sys
sys.path[:0] = [{tests!r}]
from streamlit.testing.v1 import AppTest
import test_bad_input as t
at = AppTest.from_file({app!r}, default_timeout=300).run()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # the app's first page, for the report
at.radio(key="aug_source").set_value("My own images").run()
files = t.corpus()
for name, (data, _) in files.items():
    t.upload(at, [(name, data)])
t.upload(at, [(name, data) for name, (data, _) in files.items()])
# over the cap only together: 3 x 40 MB (the harness holds its own copies of these bytes, so no more)
t.upload(at, [(f"big-{{i}}.png", bytes(40 * 2**20)) for i in range(3)])
assert "one upload may hold" in at.error[0].value, at.error[0].value
at.get("file_uploader")[0].set_value(None).run()
folder = os.path.join(os.environ["SIMCLR_DATA"], "corpus")
os.mkdir(folder)
for name, (data, _) in files.items():
    open(os.path.join(folder, name), "wb").write(data)
os.symlink("/dev/zero", os.path.join(folder, "zero.png"))
os.mkfifo(os.path.join(folder, "pipe.png"))
at.radio(key="aug_source").set_value("Dataset").run()
t.choose_folder(at, "corpus")
assert "zero.png" in t.messages(at) and "pipe.png" in t.messages(at), t.messages(at)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def test_the_app_stays_under_its_memory_bound_through_the_whole_corpus(sandbox):
    """Every hostile file, all at once, an oversized upload and the folder with a device and a pipe, through the
    Augmentations page in a fresh process (AppTest runs the page in-process, as the server does); its peak resident
    memory is the figure. Before the fixes the palette PNG alone took it past 4.7 GB."""
    code = THROUGH_THE_CORPUS.format(tests=str(ROOT / "tests"), app=str(APP))
    result = within(600, subprocess.run, [sys.executable, "-c", code],
                    kwargs=dict(cwd=ROOT, capture_output=True, text=True, timeout=590, env=os.environ.copy()))
    assert result.returncode == 0, result.stderr[-3000:]
    start_mb, peak_mb = map(float, result.stdout.split()[-2:])
    print(f"peak resident memory: {start_mb:.0f} MB after the first page, {peak_mb:.0f} MB through the corpus")
    assert peak_mb < SERVER_LIMIT_MB, peak_mb
