"""The Embeddings page's numbers: the checkpoint's report (simclr.evaluate.report, test split), few-label transfer.

The report itself is kept on disk beside the checkpoint (eval-best.json), so it survives restarts and is shared
by sessions; the cache here only spares re-reading it on every rerun. The shipped demo run's folder is never
written: its report ships with it (regenerate with `python -m simclr.evaluate assets/demo-run --transfer`).
"""
import streamlit as st

from app_pages.embeddings.charts import transfer_chart
from simclr.data import DataError
from simclr.evaluate.report import LIGHTLY_VOTE, WIDE_KNN, NoLabels, Report, checkpoint_report
from ui.run_embeddings import Checkpoint, load_images

@st.cache_data(show_spinner="Scoring raw pixels, the random and the trained encoder (kNN and linear probe)…",
               max_entries=16)
def cached_report(checkpoint: Checkpoint, device: str) -> Report:
    """The checkpoint's report (and transfer results, when stored); raises DataError, ModelError."""
    return _report(checkpoint, device, transfer=False)


@st.cache_data(show_spinner="Training classifiers with 1, 10 and 100 labels per class (linear, fine-tune, scratch)…",
               max_entries=16)
def cached_report_with_transfer(checkpoint: Checkpoint, device: str) -> Report:
    """The report with few-label transfer results, computed and stored the first time they are asked for."""
    return _report(checkpoint, device, transfer=True)


def _report(checkpoint: Checkpoint, device: str, transfer: bool) -> Report:
    config = checkpoint.config()

    def load(split: str):
        return load_images(config.dataset, split, None, config.size, config.path, config.seed)

    return checkpoint_report(checkpoint.path, device, transfer, keep=checkpoint.writable, load=load)


def _request_transfer(checkpoint: Checkpoint) -> None:
    st.session_state["emb_transfer_for"] = checkpoint


def report_section(checkpoint: Checkpoint, device: str, k: int) -> None:
    """The accuracy table (raw pixels, random init, trained; h and z), then transfer on request or from disk."""
    st.subheader("What was learned, in numbers")
    try:
        report = cached_report(checkpoint, device)
    except NoLabels:
        st.info("These images have no labels (or a single one), so accuracy cannot be scored; "
                "the maps and the neighbours tell the story.")
        return
    except DataError as error:
        st.error(f"The images to score this run on cannot be loaded: {error}")
        return
    columns = {"kNN": f"kNN k={k} ({report.split})", WIDE_KNN: f"{WIDE_KNN} ({report.split})",
               "linear probe": f"linear probe ({report.split})"}  # report row key -> column
    st.caption(
        f"Accuracy on the {report.split} split: {report.where}. kNN: a vote of the {k} most cosine-similar "
        f"memory images (DINO's protocol), and of {LIGHTLY_VOTE[0]} (lightly's, to read beside its published "
        "tables); linear probe: logistic regression fitted on the memory's frozen features, the paper's "
        f"evaluation. {checkpoint.name} was chosen on a validation split of the training images; the test split "
        "chose nothing. Training should beat both raw pixels and the random network, and h should beat z."
    )
    percent = {"format": "percent", "min_value": 0.0, "max_value": 1.0}
    table = [{"features": r["features"], "space": r["space"]} | {name: r[key] for key, name in columns.items()}
             for r in report.rows]
    st.dataframe(table, key="emb_scores", hide_index=True,
                 column_config={name: st.column_config.ProgressColumn(name, **percent) for name in columns.values()})
    if report.transfer is None and st.session_state.get("emb_transfer_for") == checkpoint:
        report = cached_report_with_transfer(checkpoint, device)
    if report.transfer is None:
        budgets = ", ".join(str(b) for b in report.budgets)
        st.button(
            "Run transfer comparison", key="emb_transfer", on_click=_request_transfer, args=(checkpoint,),
            help=f"With {budgets} labelled images per class: a linear probe on the frozen trained h, fine-tuning the "
            "trained encoder, and the same network trained from its random initialisation. Pretraining pays off "
            "where labels are few (paper Sec. 7). Takes seconds for the small CNN, minutes for ResNet-18 on a CPU; "
            "the result is kept beside the checkpoint.",
        )
        return
    st.plotly_chart(transfer_chart(report.transfer), key="emb_transfer_chart")
    st.caption(
        f"Accuracy on the same {report.split} images; the labelled images are drawn from the memory (the training "
        "images). Where the trained lines lie above 'from scratch', pretraining without labels saved labelling "
        "work; the gap is widest with the fewest labels."
    )
