"""Training: start a SimCLR pretraining run, watch it learn, stop and resume it; every run kept on disk."""

import math
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import streamlit as st

from simclr import runs
from simclr.device import resolve_device, training_threads
from simclr.launch import LOG, command, launch, resume_command
from simclr.train_config import ConfigError, validate
from ui.charts import run_curves
from ui.plain import plain
from ui.train_form import train_form

root = runs.default_root()


@st.cache_resource
def launched() -> dict[Path, subprocess.Popen]:
    """Training processes this server started, by run folder: a run counts as busy before its files exist."""
    return {}


def busy_runs() -> list[str]:
    """Runs training now: started here and not yet ended, or marked running on disk by a live process."""
    starting = [
        path.name for path, process in launched().items()
        if path.parent == root and process.poll() is None and runs.read_json(path / runs.SUMMARY).get("status", "running") == "running"
    ]
    on_disk = [run.name for run in runs.list_runs(root) if run.status == "running"]
    return sorted(set(starting) | set(on_disk))


def start(argv: list[str], run_dir: Path) -> None:
    launched()[run_dir] = launch(argv, run_dir)
    st.session_state["train_watch"] = run_dir.name


def delete(name: str) -> None:
    """Delete-button callback: runs before the page redraws, so the confirm switch can be reset."""
    try:
        runs.delete_run(root / name, root)
    except runs.RunError as error:
        st.session_state["runs_delete_error"] = str(error)
        return
    if st.session_state.get("train_watch") == name:
        del st.session_state["train_watch"]
    st.session_state["runs_delete_arm"] = False


def curves_of(run: runs.RunInfo, rows: list[dict]) -> None:
    batch = run.config.get("batch_size")
    chance = math.log(2 * batch - 1) if batch else None
    loss, accuracy = st.columns(2)
    loss.plotly_chart(run_curves({run.name: rows}, "loss", "NT-Xent loss", chance), key=f"loss_{run.name}")
    with accuracy:
        knn = [row for row in rows if row.get("knn") is not None]
        if knn:
            st.plotly_chart(run_curves({"kNN on held-out images": knn}, "knn", "kNN accuracy of h"), key=f"knn_{run.name}")
        st.plotly_chart(
            run_curves({run.name: rows}, "contrastive_acc", "Positive is the top match in the batch"),
            key=f"contrastive_{run.name}",
        )


def _refusal(run_dir: Path) -> str:
    """Why the process this server last started for `run_dir` refused to run (exit status 2), from its log; "" if
    it did not: a resume of a damaged last.pt ends there before it touches summary.json."""
    process = launched().get(run_dir)
    if process is None or process.poll() != 2 or not (run_dir / LOG).is_file():
        return ""
    lines = (run_dir / LOG).read_text(errors="replace").splitlines()
    errors = [line.split(" error: ", 1)[1] for line in lines if " error: " in line]
    return errors[-1] if errors else "see train.log in the run folder."


def live_view(name: str) -> None:
    """The watched run: status, progress, time left, speed and curves, read from its folder."""
    run_dir = root / name
    if not (run_dir / runs.CONFIG).is_file():
        if run_dir in launched() and launched()[run_dir].poll() is None:
            st.info(plain(f"Starting {name}: loading the data and building the model…"),
                    icon=":material/hourglass_top:")
        else:
            log = run_dir / LOG
            st.error(plain(f"Run {name} did not start."))
            if log.is_file():
                st.code(log.read_text(errors="replace")[-3000:], language=None)
        return
    run = runs.run_info(run_dir)
    rows = runs.read_metrics(run_dir)
    summary, config = run.summary, run.config
    budget = config.get("seconds")
    seconds = summary.get("seconds", 0.0) or 0.0
    state = {"running": "training", "finished": "finished", "stopped": "stopped", "failed": "failed",
             "diverged": "diverged"}[run.status]
    st.markdown(f"**{plain(name)}**: {state} on {plain(summary.get('device') or 'its device')}")
    refused = _refusal(run_dir)
    if refused:
        st.error(plain(f"The last start of {name} was refused: {refused}"))
    if run.problems:
        st.warning(plain(f"Run {name} has damaged files; these values were left out: " + "; ".join(run.problems)))
    if run.status == "running" and budget:
        st.progress(min(seconds / budget, 1.0), text=f"{seconds:.0f} s of {budget:.0f} s, {max(budget - seconds, 0):.0f} s left")
    last = rows[-1] if rows else {}
    a, b, c, d = st.columns(4)
    a.metric("Step", last.get("step", 0))
    b.metric("Loss", f"{last['loss']:.3f}" if "loss" in last else "–")
    knn = [row["knn"] for row in rows if row.get("knn") is not None]
    c.metric("kNN accuracy", f"{knn[-1]:.1%}" if knn else "–", help="Held-out labelled images classified by "
             "their 20 nearest neighbours in h. Raw pixels score " + (f"{summary['knn_pixels']:.1%}." if "knn_pixels" in summary else "about 94% on mnist-5k."))
    d.metric("Views / second", f"{last.get('views_per_second', 0):,.0f}")
    if run.message:
        (st.error if run.status in ("failed", "diverged") else st.info)(plain(run.message))
    if rows:
        curves_of(run, rows)
    if run.status in ("failed", "diverged") and (run_dir / LOG).is_file():
        with st.expander("The training process's output"):
            st.code((run_dir / LOG).read_text(errors="replace")[-3000:], language=None)
    actions = st.columns(3)
    if run.status == "running":
        if actions[0].button("Stop", key="train_stop", help="Finishes the step, saves last.pt; Resume continues."):
            runs.request_stop(run_dir)
            st.toast(plain(f"Stopping {name}…"))
    elif (run_dir / runs.LAST).is_file():
        more = actions[1].number_input("Resume for (seconds)", 1.0, 24 * 3600.0, 30.0, step=10.0, key="train_more")
        if actions[0].button("Resume", key="train_resume", help="Continues from last.pt with the same settings."):
            if busy_runs():
                st.warning(plain(f"{busy_runs()[0]} is training; one run at a time on this machine."))
            else:
                runs.clear_stop(run_dir)
                start(resume_command(run_dir, more), run_dir)
                st.rerun()


st.title("Training")
st.caption(
    "Pretraining runs in its own process (the same `python -m simclr.train` you can type), so the app stays "
    f"responsive and nothing is lost when the browser closes. Runs live in `{root.resolve()}`."
)
form, live = st.columns([1, 2], gap="large")
with form:
    config = train_form()
    name = st.text_input("Run name (empty: dataset-encoder-time)", key="train_name", max_chars=80)
    if st.button("Start training", type="primary", key="train_start", use_container_width=True):
        try:
            if busy_runs():
                raise ConfigError(f"{busy_runs()[0]} is training on this machine; stop it or let it finish first.")
            device = resolve_device(config.device)
            config = replace(config, threads=training_threads(device) if device.type == "cpu" else None)
            validate(config)
            run_name = name.strip() or f"{config.dataset}-{config.encoder}-{time.strftime('%Y%m%d-%H%M%S')}"
            if Path(run_name).name != run_name or run_name.startswith(".") or not run_name.isprintable():
                raise ConfigError("A run name is a plain folder name: no slashes, no control characters, and not "
                                  "starting with a dot.")
            if (root / run_name).exists():
                raise ConfigError(f"A run called {run_name} exists already; choose another name.")
        except (ConfigError, ValueError) as error:
            st.error(plain(str(error)))
        else:
            start(command(config, root / run_name), root / run_name)

all_runs = runs.list_runs(root)
watch = st.session_state.get("train_watch") or (busy_runs() or [r.name for r in all_runs] or [None])[0]
with live:
    if watch is None:
        st.info("No runs yet: pick a preset and press Start. The CPU demo takes a minute.")
    else:
        refresh = 1.0 if watch in busy_runs() else None
        st.fragment(run_every=refresh)(live_view)(watch)

st.divider()
st.subheader("All runs")
if not all_runs:
    st.caption("Runs you start appear here, with their curves; they stay after the server restarts.")
else:
    table = [
        {"run": r.name, "status": r.status, "dataset": r.config.get("dataset"), "encoder": r.config.get("encoder"),
         "steps": r.summary.get("steps"), "final loss": r.summary.get("final_loss"),
         "kNN before": r.summary.get("knn_before"), "kNN after": r.summary.get("knn_after"),
         "kNN raw pixels": r.summary.get("knn_pixels")}
        for r in all_runs
    ]
    st.dataframe(table, hide_index=True, key="runs_table")
    names = [r.name for r in all_runs]
    chosen = st.multiselect("Compare runs", names, default=names[:2], key="runs_compare")
    if chosen:
        series = {n: runs.read_metrics(root / n) for n in chosen}
        left, right = st.columns(2)
        left.plotly_chart(run_curves(series, "loss", "Loss"), key="compare_loss")
        right.plotly_chart(
            run_curves({n: [r for r in rows if r.get("knn") is not None] for n, rows in series.items()}, "knn", "kNN accuracy"),
            key="compare_knn",
        )
    pick, button = st.columns([3, 1], vertical_alignment="bottom")
    doomed = pick.selectbox("Run to watch or delete", names, key="runs_pick")
    if button.button("Watch", key="runs_watch"):
        st.session_state["train_watch"] = doomed
        st.rerun()
    if st.toggle(f"Delete {doomed}…", key="runs_delete_arm"):
        st.button(f"Yes, delete {doomed} and its checkpoints", type="primary", key="runs_delete",
                  on_click=delete, args=(doomed,))
    if "runs_delete_error" in st.session_state:
        st.error(plain(st.session_state.pop("runs_delete_error")))
