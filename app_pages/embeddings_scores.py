"""The Embeddings page's numbers: simclr.compare's report for the checkpoint (test split), and few-label transfer."""
import streamlit as st

from simclr.compare import LIGHTLY_VOTE, WIDE_KNN, NoLabels
from simclr.data import DataError
from app_pages.embeddings_charts import transfer_chart
from ui.run_embeddings import Checkpoint
from ui.run_scores import report, report_with_transfer


def _request_transfer(checkpoint: Checkpoint) -> None:
    st.session_state["emb_transfer_for"] = checkpoint


def scores_section(checkpoint: Checkpoint, device: str, k: int) -> None:
    """The accuracy table (raw pixels, random init, trained; h and z), then transfer on request or from disk."""
    st.subheader("What was learned, in numbers")
    try:
        scores = report(checkpoint, device)
    except NoLabels:
        st.info("These images have no labels (or a single one), so accuracy cannot be scored; "
                "the maps and the neighbours tell the story.")
        return
    except DataError as error:
        st.error(f"The images to score this run on cannot be loaded: {error}")
        return
    columns = {"kNN": f"kNN k={k} ({scores.split})", WIDE_KNN: f"{WIDE_KNN} ({scores.split})",
               "linear probe": f"linear probe ({scores.split})"}  # report row key -> column
    st.caption(
        f"Accuracy on the {scores.split} split: {scores.where}. kNN: a vote of the {k} most cosine-similar "
        f"memory images (DINO's protocol), and of {LIGHTLY_VOTE[0]} (lightly's, to read beside its published "
        "tables); linear probe: logistic regression fitted on the memory's frozen features, the paper's "
        f"evaluation. {checkpoint.name} was chosen on a validation split of the training images; the test split "
        "chose nothing. Training should beat both raw pixels and the random network, and h should beat z."
    )
    percent = {"format": "percent", "min_value": 0.0, "max_value": 1.0}
    table = [{"features": r["features"], "space": r["space"]} | {name: r[key] for key, name in columns.items()}
             for r in scores.rows]
    st.dataframe(table, key="emb_scores", hide_index=True,
                 column_config={name: st.column_config.ProgressColumn(name, **percent) for name in columns.values()})
    if scores.transfer is None and st.session_state.get("emb_transfer_for") == checkpoint:
        scores = report_with_transfer(checkpoint, device)
    if scores.transfer is None:
        budgets = ", ".join(str(b) for b in scores.budgets)
        st.button(
            "Run transfer comparison", key="emb_transfer", on_click=_request_transfer, args=(checkpoint,),
            help=f"With {budgets} labelled images per class: a linear probe on the frozen trained h, fine-tuning the "
            "trained encoder, and the same network trained from its random initialisation. Pretraining pays off "
            "where labels are few (paper Sec. 7). Takes seconds for the small CNN, minutes for ResNet-18 on a CPU; "
            "the result is kept beside the checkpoint.",
        )
        return
    st.plotly_chart(transfer_chart(scores.transfer), key="emb_transfer_chart")
    st.caption(
        f"Accuracy on the same {scores.split} images; the labelled images are drawn from the memory (the training "
        "images). Where the trained lines lie above 'from scratch', pretraining without labels saved labelling "
        "work; the gap is widest with the fewest labels."
    )
