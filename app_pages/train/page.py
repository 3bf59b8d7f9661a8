"""Training: start a SimCLR pretraining run, watch it learn, stop and resume it; every run kept on disk."""

import math

import streamlit as st

from app_pages.train.charts import knn_chart, run_curves
from app_pages.train.form import train_form
from simclr.evaluate.report import labelled_figures
from simclr.runs import folder, progress
from simclr.train.launch import LOG, busy_runs, is_busy, refusal, resume_run, start_run, starting
from ui.live_map import live_map_panel
from ui.plain import plain

root = folder.default_root()


def delete(name: str) -> None:
    """Delete-button callback: runs before the page redraws, so the confirm switch can be reset."""
    try:
        folder.delete_run(root / name, root)
    except folder.RunError as error:
        st.session_state["runs_delete_error"] = str(error)
        return
    if st.session_state.get("train_watch") == name:
        del st.session_state["train_watch"]
    st.session_state["runs_delete_arm"] = False


def references(summary: dict) -> dict[str, float]:
    """The kNN levels a trained encoder has to beat, as the run measured them on its own held-out images."""
    found = {"raw pixels": summary.get("knn_pixels"), "random init": summary.get("knn_before")}
    return {label: value for label, value in found.items() if isinstance(value, (int, float))}


def curves_of(run: folder.RunInfo, rows: list[dict]) -> None:
    batch = run.config.get("batch_size")
    chance = math.log(2 * batch - 1) if batch else None
    loss, picture = st.columns(2)
    loss.plotly_chart(run_curves({run.name: rows}, "loss", "NT-Xent loss", chance), key=f"loss_{run.name}")
    with picture:
        live_map_panel(run.path, run.summary, rows, run.config)
    accuracy, contrastive = st.columns(2)
    knn = progress.knn_points(run.summary, rows)
    if knn:
        split = run.summary.get("validation_split", "validation")
        accuracy.plotly_chart(knn_chart({f"kNN ({split})": knn}, f"kNN accuracy of h<br><sup>{split}</sup>",
                                        references(run.summary)), key=f"knn_{run.name}")
    contrastive.plotly_chart(
        run_curves({run.name: rows}, "contrastive_acc", "Positive is the top match in the batch"),
        key=f"contrastive_{run.name}",
    )


def live_view(name: str, refreshing: bool) -> None:
    """The watched run: status, progress, time left, speed and curves, read from its folder.

    `refreshing`: this view redraws itself every second; once the run is over, one full rerun stops that
    and brings the runs table up to date.
    """
    run_dir = root / name
    if refreshing and not is_busy(run_dir):
        st.rerun()
    if not (run_dir / folder.CONFIG).is_file():
        if starting(run_dir):
            st.info(plain(f"Starting {name}: loading the data and building the model…"),
                    icon=":material/hourglass_top:")
        else:
            log = run_dir / LOG
            st.error(plain(f"Run {name} did not start."))
            if log.is_file():
                st.code(log.read_text(errors="replace")[-3000:], language=None)
        return
    run = folder.run_info(run_dir)
    rows = folder.read_metrics(run_dir)
    summary, config = run.summary, run.config
    budget = config.get("seconds")
    seconds = progress.elapsed(summary, rows)
    state = {"running": "training", "finished": "finished", "stopped": "stopped", "failed": "failed",
             "diverged": "diverged"}[run.status]
    st.markdown(f"**{plain(name)}**: {state} on {plain(summary.get('device') or 'its device')}")
    refused = refusal(run_dir)
    if refused:
        st.error(plain(f"The last start of {name} was refused: {refused}"))
    if run.problems:
        st.warning(plain(f"Run {name} has damaged files; these values were left out: " + "; ".join(run.problems)))
    phase = summary.get("phase") if run.status == "running" else None  # what it does once training is over
    if phase:
        st.progress(1.0, text=plain(f"Training done; {phase}…"))
    elif run.status == "running" and budget:
        st.progress(min(seconds / budget, 1.0), text=f"{seconds:.0f} s of {budget:.0f} s, {max(budget - seconds, 0):.0f} s left")
    last = rows[-1] if rows else {}
    a, b, c, d = st.columns(4)
    a.metric("Step", last.get("step", 0))
    b.metric("Loss", f"{last['loss']:.3f}" if "loss" in last else "–")
    knn = [accuracy for _, accuracy in progress.knn_points(summary, rows)]
    c.metric(f"kNN ({summary.get('validation_split', 'validation')})", f"{knn[-1]:.1%}" if knn else "–",
             help="A tenth of the training images, set aside as a validation split (simclr.evaluate.splits), classified by "
             f"their {config.get('knn_k', 20)} nearest neighbours in h among the other training images; best.pt is "
             "chosen by it. Raw pixels score " + (f"{summary['knn_pixels']:.1%}." if "knn_pixels" in summary else
                                                  "about 95% on mnist-5k.") + " The test split is scored once, at the "
             "end (the table below and the Embeddings page).")
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
            folder.request_stop(run_dir)
            st.toast(plain(f"Stopping {name}…"))
    elif (run_dir / folder.LAST).is_file():
        more = actions[1].number_input("Resume for (seconds)", 1.0, 24 * 3600.0, 30.0, step=10.0, key="train_more")
        if actions[0].button("Resume", key="train_resume", help="Continues from last.pt with the same settings."):
            try:
                resume_run(run_dir, more)
            except folder.RunError as error:
                st.warning(plain(str(error)))
            else:
                st.session_state["train_watch"] = run_dir.name
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
            started = start_run(root, config, name)  # threads: the CLI's default (training_threads)
        except (folder.RunError, ValueError) as error:  # ValueError: ConfigError, settings that cannot work
            st.error(plain(str(error)))
        else:
            st.session_state["train_watch"] = started.run_dir.name

all_runs = folder.list_runs(root)
watch = st.session_state.get("train_watch") or (busy_runs(root) or [r.name for r in all_runs] or [None])[0]
with live:
    if watch is None:
        st.info("No runs yet: pick a preset and press Start. The CPU demo takes a minute.")
    else:
        refresh = 1.0 if is_busy(root / watch) else None
        st.fragment(run_every=refresh)(live_view)(watch, refresh is not None)


@st.fragment(run_every=2.0)
def runs_folder_watch() -> None:
    """Poll the runs folder: a run started elsewhere (a terminal, another browser) or one changing status
    redraws the page, without a reload."""
    seen = tuple((run.name, run.status) for run in folder.list_runs(root))
    if st.session_state.setdefault("train_runs_seen", seen) != seen:
        st.session_state["train_runs_seen"] = seen
        st.rerun()


st.session_state["train_runs_seen"] = tuple((run.name, run.status) for run in all_runs)
runs_folder_watch()

st.divider()
st.subheader("All runs")
if not all_runs:
    st.caption("Runs you start appear here, with their curves; they stay after the server restarts.")
else:
    table = [
        {"run": r.name, "status": r.status, "dataset": r.config.get("dataset"), "encoder": r.config.get("encoder"),
         "steps": r.summary.get("steps"), "final loss": r.summary.get("final_loss")} | labelled_figures(r.summary)
        for r in all_runs
    ]
    st.dataframe(table, hide_index=True, key="runs_table")
    names = [r.name for r in all_runs]
    chosen = st.multiselect("Compare runs", names, default=names[:2], key="runs_compare")
    if chosen:
        series = {n: folder.read_metrics(root / n) for n in chosen}
        left, right = st.columns(2)
        left.plotly_chart(run_curves(series, "loss", "Loss"), key="compare_loss")
        summaries = {r.name: r.summary for r in all_runs}
        knn = {n: progress.knn_points(summaries[n], rows) for n, rows in series.items()}
        if any(knn.values()):
            right.plotly_chart(knn_chart(knn, "kNN accuracy of h (validation)", {}), key="compare_knn")
        else:
            right.caption("None of these runs has a kNN figure (their images have no labels).")
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
